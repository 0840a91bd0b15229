// The listener alone, serving a table of dummy routes: its connection budget, its deadlines, and
// the framing of request bodies read before a request is routed. It knows no route of its own.
#include "ops/http/listener.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "process.hpp"
#include "status_clients.hpp"

using namespace tasksync;
using namespace tasksync::http;
using namespace std::chrono_literals;

namespace {

// A listener on a free port serving GET /ping, POST /echo (a body that fits with its head) and
// POST /upload (a body of its own of at most 4 KiB, one at a time), recording what they saw.
class ListenerTest : public ::testing::Test {
protected:
  ListenerTest() {
    m_limits.request_timeout = 60s;
    m_limits.max_request_bytes = 1024;
  }

  void start(bool with_refusal_words = true) {
    BodyAllowance upload{4096, 1};
    if (with_refusal_words) {
      upload.refused = [this](Refusal why, const std::string &peer) {
        std::lock_guard lock(m_mutex);
        m_refusals.push_back(why);
        m_refused_peer = peer;
        return std::string("{\"refused\":\"by upload\"}\n");
      };
    }
    const auto record = [this](const Request &request) {
      std::lock_guard lock(m_mutex);
      m_seen.push_back(request);
      return Response{200, "text/plain", request.body, {{"X-Route", request.path}}};
    };
    std::vector<Route> routes{{Method::get, "/ping",
                               [](const Request &) {
                                 return Response{200, "text/plain", "pong"};
                               }},
                              {Method::post, "/echo", record},
                              {Method::post, "/upload", record, upload}};
    auto listener = Listener::start("127.0.0.1", m_port, std::move(routes), m_limits);
    ASSERT_TRUE(listener.ok()) << listener.error().message;
    m_listener = std::move(*listener);
  }

  // Once GET /ping on a new connection is answered, every connection made before it has been
  // read: the listener reads connections in the order they come.
  void sync_with_listener() {
    httplib::Client client("127.0.0.1", m_port);
    auto ping = client.Get("/ping");
    ASSERT_TRUE(ping);
    ASSERT_EQ(ping->body, "pong");
  }

  // How long the listener took to close a new connection on which `bytes` were sent (or 5 s).
  std::chrono::steady_clock::duration time_to_cut_off(std::string_view bytes) {
    const FileDescriptor client = test::connect_raw(m_port);
    const auto start_time = std::chrono::steady_clock::now();
    EXPECT_TRUE(test::send_raw(client, bytes));
    EXPECT_TRUE(test::wait_until([&] { return test::closed_by_peer(client); }, 5s));
    return std::chrono::steady_clock::now() - start_time;
  }

  std::vector<Request> seen() {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }
  std::vector<Refusal> refusals() {
    std::lock_guard lock(m_mutex);
    return m_refusals;
  }

  int m_port = test::free_port();
  ListenerLimits m_limits;
  std::unique_ptr<Listener> m_listener;
  std::mutex m_mutex;
  std::vector<Request> m_seen;
  std::vector<Refusal> m_refusals;
  std::string m_refused_peer;
};

// The whole answer to `request` sent at once on a new connection (until the peer closes).
std::string round_trip(int port, const std::string &request) {
  const FileDescriptor client = test::connect_raw(port);
  EXPECT_TRUE(test::send_raw(client, request));
  return test::receive_until(client, "\r\n\r\n\x01", 2s);
}

} // namespace

TEST_F(ListenerTest, HandsARouteTheRequestAndWritesItsResponse) {
  start();
  httplib::Client client("127.0.0.1", m_port);
  auto answer = client.Post("/echo?query=1", {{"X-Test", "yes"}}, "hello", "text/plain");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "hello");
  EXPECT_EQ(answer->get_header_value("X-Route"), "/echo");
  EXPECT_EQ(answer->get_header_value("Content-Type"), "text/plain");
  ASSERT_EQ(seen().size(), 1u);
  const Request request = seen()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/echo");
  EXPECT_EQ(request.header("x-TEST"), "yes");
  EXPECT_EQ(request.header("X-Absent"), std::nullopt);
  EXPECT_EQ(request.remote_addr, "127.0.0.1");

  EXPECT_EQ(client.Get("/other")->status, 404);
  EXPECT_EQ(client.Get("/echo")->status, 404) << "a route answers its own method only";
  EXPECT_EQ(client.Post("/ping", "", "text/plain")->status, 404);
  EXPECT_EQ(client.Get("/p.ng")->status, 404) << "a path is matched as written, not as a pattern";
}

TEST_F(ListenerTest, A200IsHttplibsToChooseAndARangeMakesIt206) {
  start();
  httplib::Client client("127.0.0.1", m_port);
  auto ranged = client.Get("/ping", {{"Range", "bytes=0-1"}});
  ASSERT_TRUE(ranged);
  EXPECT_EQ(ranged->status, 206);
  EXPECT_EQ(ranged->body, "po");
  EXPECT_EQ(client.Get("/ping")->status, 200);
}

TEST_F(ListenerTest, AConnectionPastTheBudgetClosesTheOldest) {
  m_limits.max_connections = 2;
  start();
  std::vector<FileDescriptor> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(test::connect_raw(m_port));
    ASSERT_TRUE(idle.back().is_open());
  }
  EXPECT_TRUE(test::wait_until([&] { return test::closed_by_peer(idle[0]); }, 5s));
  // GET /ping takes a place too: it closes the oldest left, and is answered.
  sync_with_listener();
  EXPECT_TRUE(test::wait_until([&] { return test::closed_by_peer(idle[1]); }, 5s));
  EXPECT_FALSE(test::closed_by_peer(idle[2]));
}

TEST_F(ListenerTest, ARequestNotWholeWithinItsTimeIsCutOff) {
  m_limits.request_timeout = 300ms;
  start();
  const auto took = time_to_cut_off("GET /ping HTTP/1.1\r\nHost: x\r\n");
  EXPECT_GE(took, m_limits.request_timeout - 50ms);
  EXPECT_LT(took, m_limits.request_timeout + 2s);
}

TEST_F(ListenerTest, ABodyThatArrivesAfterItsHeadIsWaitedForAndRouted) {
  start();
  const FileDescriptor client = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(client, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"));
  sync_with_listener();
  ASSERT_TRUE(test::send_raw(client, "later"));
  const std::string reply = test::receive_until(client, "later", 2s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body, "later");
}

TEST_F(ListenerTest, AChunkedBodyIsReadWholeAndHandedOnDecoded) {
  start();
  const std::string reply = round_trip(m_port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                               "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body, "abcde");
}

TEST_F(ListenerTest, ABodyWithoutAnAllowanceMustFitWithItsHeadOrIs413BeforeItIsRead) {
  start();
  const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ";
  const std::string fits(1024 - head.size() - 10, 'f');
  std::string reply = round_trip(m_port, head + std::to_string(fits.size()) + "\r\n\r\n" + fits);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  // Announced, not sent: answered at once.
  reply = round_trip(m_port, head + "2000\r\n\r\n");
  EXPECT_EQ(reply, "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: 37\r\n"
                   "Connection: close\r\n\r\n{\"error\":\"the request is too large\"}\n");
  EXPECT_EQ(seen().size(), 1u);
}

TEST_F(ListenerTest, ABodyWhoseEndIsNotClearIs400BeforeItIsRead) {
  start();
  for (const std::string framing :
       {"Content-Length: 5x", "Content-Length: 5\r\nTransfer-Encoding: chunked", "Transfer-Encoding: gzip"}) {
    const std::string reply = round_trip(m_port, "POST /echo HTTP/1.1\r\nHost: x\r\n" + framing + "\r\n\r\nhello");
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << framing << ": " << reply;
    EXPECT_NE(reply.find("{\"error\":\"the body's length is not clear\"}\n"), std::string::npos) << reply;
  }
  EXPECT_TRUE(seen().empty());
}

TEST_F(ListenerTest, ARouteWithAnAllowanceTakesItsOwnSizeAndWordsForARefusal) {
  start();
  const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ";
  const std::string big(4096, 'b');
  std::string reply = round_trip(m_port, head + "4096\r\n\r\n" + big);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply.substr(0, 100);
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body, big);

  reply = round_trip(m_port, head + "4097\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u) << reply;
  EXPECT_NE(reply.find("\r\n\r\n{\"refused\":\"by upload\"}\n"), std::string::npos) << reply;
  reply = round_trip(m_port, head + "x\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
  EXPECT_EQ(refusals(), (std::vector<Refusal>{Refusal::too_large, Refusal::malformed}));
  std::lock_guard lock(m_mutex);
  EXPECT_EQ(m_refused_peer, "127.0.0.1");
}

TEST_F(ListenerTest, OneBodyMoreThanTheRouteTakesAtOnceIsRefusedAsBusy) {
  start();
  const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  const FileDescriptor first = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(first, head + "12345"));
  sync_with_listener();
  const std::string busy = round_trip(m_port, head + "1234567890");
  EXPECT_EQ(busy.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << busy;
  EXPECT_EQ(refusals(), std::vector<Refusal>{Refusal::busy});
  // Bodies without an allowance are not counted.
  const std::string echo = round_trip(m_port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(echo.rfind("HTTP/1.1 200 ", 0), 0u) << echo;

  // The first body completes, and its place is free again.
  ASSERT_TRUE(test::send_raw(first, "67890"));
  EXPECT_EQ(test::receive_until(first, "67890", 2s).rfind("HTTP/1.1 200 ", 0), 0u);
  const std::string next = round_trip(m_port, head + "1234567890");
  EXPECT_EQ(next.rfind("HTTP/1.1 200 ", 0), 0u) << next;
}

TEST_F(ListenerTest, WithoutWordsOfItsOwnARouteIsRefusedInTheListeners) {
  start(/*with_refusal_words=*/false);
  const std::string too_large = round_trip(m_port, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_NE(too_large.find("\r\n\r\n{\"error\":\"the request is too large\"}\n"), std::string::npos) << too_large;
  const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  const FileDescriptor first = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(first, head));
  sync_with_listener();
  const std::string busy = round_trip(m_port, head);
  EXPECT_EQ(busy.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << busy;
  EXPECT_NE(busy.find("\r\n\r\n{\"error\":\"too many requests at once; try again\"}\n"), std::string::npos) << busy;
}

TEST_F(ListenerTest, ABodyWithAnAllowanceHasItsOwnTimeFromItsHead) {
  m_limits.body_timeout = 300ms;
  start();
  const auto took = time_to_cut_off("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
  EXPECT_GE(took, m_limits.body_timeout - 50ms);
  EXPECT_LT(took, 2s) << "the request's 60 s do not apply to its body";
  EXPECT_TRUE(seen().empty());
}

TEST_F(ListenerTest, AClientWaitingToSendItsBodyGetsOneContinue) {
  start();
  const FileDescriptor client = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(client, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                                     "Expect: 100-continue\r\n\r\n"));
  std::string reply = test::receive_until(client, "\r\n\r\n", 2s);
  EXPECT_EQ(reply, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(test::send_raw(client, "body"));
  reply = test::receive_until(client, "body", 2s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].body, "body");
}

TEST(Listener, AnAddressInUseIsAnErrorNamingIt) {
  const int port = test::free_port();
  auto first = Listener::start("127.0.0.1", port, {});
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = Listener::start("127.0.0.1", port, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message.rfind("cannot listen on 127.0.0.1:" + std::to_string(port) + ": ", 0), 0u)
      << second.error().message;
}
