// POST /webhooks/anchorbrowser served by the real status server over real HTTP, and the route
// alone as values in and out, with the service's side (which tasks are mirrored, the task passes
// asked for) replaced by a recorder.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <vector>

#include "log_lines.hpp"
#include "ops/status_server.hpp"
#include "ops/webhook_route.hpp"
#include "process.hpp"
#include "status_clients.hpp"
#include "webhook_signing.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "whsec_route_test_5a4b3c2d1e";
const std::string kMirrored = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kOther = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

class WebhookRouteTest : public ::testing::Test {
protected:
  // The webhook with kSecret, which records the passes asked for of kMirrored.
  WebhookRoute recording_route() {
    return {std::make_shared<WebhookSignatureCheck>(std::vector{kSecret}), [this](const TaskEventRequest &request) {
              std::lock_guard lock(m_mutex);
              if (request.task_id != kMirrored) return TaskPassRequest::not_mirrored;
              m_requested.push_back(*request.task_id);
              return TaskPassRequest::started;
            }};
  }

  void start(bool with_webhook = true, StatusServerLimits limits = {}) {
    WebhookRoute route;
    if (with_webhook) route = recording_route();
    auto server = StatusServer::start(
        {"127.0.0.1", m_port}, m_metrics,
        [] {
          return HealthReport{true, "{}"};
        },
        limits, SyncRoute{}, std::move(route));
    ASSERT_TRUE(server.ok()) << server.error().message;
    m_server = std::move(*server);
  }

  httplib::Result post(const std::string &body, const std::optional<std::string> &signature) {
    httplib::Client client("127.0.0.1", m_port);
    client.set_read_timeout(5s);
    httplib::Headers headers;
    if (signature) headers.emplace("Anchor-Signature", *signature);
    return client.Post(std::string(kWebhookPath), headers, body, "application/json");
  }
  httplib::Result post_signed(const std::string &body, long long at = test::unix_now()) {
    return post(body, test::anchor_signature(kSecret, body, at));
  }

  std::vector<std::string> requested() {
    std::lock_guard lock(m_mutex);
    return m_requested;
  }
  std::string metric(const std::string &outcome) {
    const std::string text = m_metrics.serialize();
    const std::string name = "tasksync_webhook_requests_total{outcome=\"" + outcome + "\"} ";
    const auto at = text.find(name);
    return at == std::string::npos ? "absent" : text.substr(at + name.size(), text.find('\n', at) - at - name.size());
  }

  test::LogLines m_log;
  Metrics m_metrics;
  int m_port = test::free_port();
  std::mutex m_mutex;
  std::vector<std::string> m_requested;
  std::unique_ptr<StatusServer> m_server; // last, so destroyed first: its thread uses the members above
};

} // namespace

TEST_F(WebhookRouteTest, ASignedTaskEventAsksForAPassOfItsTask) {
  start();
  const std::string body = test::task_event("evt_1", "task.healed", kMirrored);
  auto answer = post_signed(body);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(answer->body, "{\"event\":\"accepted\",\"pass\":\"started\"}\n");
  // data.taskId, and an upper-case ID, name the task too.
  std::string upper = kMirrored;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  answer = post_signed(test::task_event("evt_2", "task.completed", upper, "taskId"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(requested(), (std::vector<std::string>{kMirrored, kMirrored}));
  EXPECT_EQ(metric("accepted"), "2");
  const auto lines = m_log.with("POST /webhooks/anchorbrowser from 127.0.0.1: event \"evt_1\" \"task.healed\"");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("starting a pass of task " + kMirrored), std::string::npos) << lines[0];
}

TEST_F(WebhookRouteTest, EachRefusalIs401WithOneLogLineNamingItsReasonAndNothingOfTheRequest) {
  start();
  const std::string body = test::task_event("evt_refused", "task.healed", kMirrored);
  const long long now = test::unix_now();
  const std::string signature = test::anchor_signature(kSecret, body, now);
  const std::string v1 = signature.substr(signature.find("v1=") + 3);
  struct Case {
    std::optional<std::string> header;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {std::nullopt, "missing header"},
      {"t=" + std::to_string(now) + ",v1=" + v1.substr(1), "malformed header"},
      {"t=soon,v1=" + v1, "malformed header"},
      {test::anchor_signature("not the secret", body, now), "bad signature"},
      {test::anchor_signature(kSecret, body, now - 600), "stale timestamp"},
      {test::anchor_signature(kSecret, body, now + 600), "stale timestamp"},
  };
  for (const Case &refused : cases) {
    const std::size_t before = m_log.with("POST /webhooks/anchorbrowser").size();
    auto answer = post(body, refused.header);
    ASSERT_TRUE(answer) << refused.reason;
    EXPECT_EQ(answer->status, 401) << refused.reason;
    const auto lines = m_log.with("POST /webhooks/anchorbrowser");
    ASSERT_EQ(lines.size(), before + 1) << refused.reason;
    EXPECT_NE(lines.back().find("refused (401): " + refused.reason), std::string::npos) << lines.back();
  }
  // The genuine delivery once, then again: a replay.
  auto first = post(body, signature);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto replayed = post(body, signature);
  ASSERT_TRUE(replayed);
  EXPECT_EQ(replayed->status, 401);
  EXPECT_NE(m_log.with("POST /webhooks/anchorbrowser").back().find("refused (401): replay"), std::string::npos);
  EXPECT_EQ(requested().size(), 1u) << "only the genuine delivery asks for a pass";
  EXPECT_EQ(metric("unauthorized"), "7");
  for (const std::string &line : m_log.with("")) {
    EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    EXPECT_EQ(line.find(v1.substr(0, 16)), std::string::npos) << line;
    EXPECT_EQ(line.find("healed_task_version_id"), std::string::npos) << line;
  }
}

TEST_F(WebhookRouteTest, ADuplicateEventIdIsAcknowledgedAndNotActedOn) {
  start();
  const std::string body = test::task_event("evt_dup", "task.healed", kMirrored);
  const long long first_at = test::unix_now();
  auto first = post_signed(body, first_at);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  // The platform delivers the event again: a new timestamp (never the first one's, however long
  // the machine took), so a new signature.
  auto again = post_signed(body, first_at + 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(again->body, "{\"event\":\"duplicate\"}\n");
  EXPECT_EQ(requested().size(), 1u);
  EXPECT_EQ(metric("duplicate"), "1");
}

TEST_F(WebhookRouteTest, OtherEventsAreAcknowledgedAndIgnored) {
  start();
  for (const std::string &body : {
           test::task_event("evt_a", "project.updated", kMirrored),         // not a task event
           test::task_event("evt_b", "task.completed", kOther),             // not mirrored
           test::task_event("evt_c", "task.completed", "../../etc/passwd"), // not a task ID
           std::string(R"({"id":"evt_d","type":"task.failed","data":{}})"), // no task
           std::string(R"({"id":"evt_e","type":"task.failed","data":"x"})"),
           std::string(R"({"id":"evt_f"})"),
       }) {
    auto answer = post_signed(body);
    ASSERT_TRUE(answer) << body;
    EXPECT_EQ(answer->status, 200) << body;
    EXPECT_EQ(answer->body, "{\"event\":\"ignored\"}\n") << body;
  }
  EXPECT_TRUE(requested().empty());
  EXPECT_EQ(metric("ignored"), "6");
}

TEST_F(WebhookRouteTest, ABodyThatIsNotAJsonObjectIs400) {
  start();
  for (const std::string &body : {std::string("{\"id\":"), std::string("[1,2]"), std::string("\"text\""),
                                  std::string(""), std::string("{} {}"), std::string(100000, '[')}) {
    auto answer = post_signed(body);
    ASSERT_TRUE(answer) << body.substr(0, 20);
    EXPECT_EQ(answer->status, 400) << body.substr(0, 20);
  }
  EXPECT_TRUE(requested().empty());
  EXPECT_EQ(metric("bad_request"), "6");
}

TEST_F(WebhookRouteTest, BodiesOverOneMebibyteAre413WithoutBeingRead) {
  start();
  // Signed and sent in full, one byte over: 413, and the client reads the answer.
  std::string big = test::task_event("evt_big", "task.healed", kMirrored);
  big.insert(big.size() - 2, ",\"pad\":\"" + std::string(kMaxWebhookBody, 'x') + "\"");
  auto answer = post_signed(big);
  ASSERT_TRUE(answer) << httplib::to_string(answer.error());
  EXPECT_EQ(answer->status, 413);

  // A Content-Length of 100 MB with nothing after it: answered at once, not waited for.
  const FileDescriptor client = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(client, "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
                                     "Anchor-Signature: t=1,v1=00\r\n\r\n"));
  const std::string reply = test::receive_until(client, "\r\n\r\n", 1s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413 ", 0), 0u) << reply;

  // Chunked, by the bytes sent: refused once they pass 1 MiB.
  const FileDescriptor chunked = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(chunked,
                             "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'y') + "\r\n";
  std::string chunk_reply;
  EXPECT_TRUE(test::wait_until(
      [&] {
        test::send_raw(chunked, chunk);
        char buffer[512];
        const ssize_t got = ::recv(chunked.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (got > 0) chunk_reply.append(buffer, static_cast<std::size_t>(got));
        return chunk_reply.find("\r\n\r\n") != std::string::npos;
      },
      10s));
  EXPECT_EQ(chunk_reply.rfind("HTTP/1.1 413 ", 0), 0u) << chunk_reply;
  EXPECT_TRUE(requested().empty());
  EXPECT_EQ(metric("too_large"), "3");
  EXPECT_EQ(m_log.with("refused (413)").size(), 3u);
}

TEST_F(WebhookRouteTest, ABodyOfExactlyOneMebibyteAndAChunkedOneAreRead) {
  start();
  std::string body = test::task_event("evt_max", "task.healed", kMirrored);
  const std::string pad = ",\"pad\":\"\"";
  body.insert(body.size() - 2, pad);
  body.insert(body.size() - 3, std::string(kMaxWebhookBody - body.size(), 'x'));
  ASSERT_EQ(body.size(), kMaxWebhookBody);
  auto answer = post_signed(body);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;

  const std::string event = test::task_event("evt_chunked", "task.healed", kMirrored);
  const FileDescriptor client = test::connect_raw(m_port);
  std::string request = "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        "Anchor-Signature: " +
                        test::anchor_signature(kSecret, event, test::unix_now()) + "\r\n\r\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", event.size() - 10);
  request += std::string(size) + "\r\n" + event.substr(0, event.size() - 10) + "\r\na\r\n" +
             event.substr(event.size() - 10) + "\r\n0\r\n\r\n";
  ASSERT_TRUE(test::send_raw(client, request));
  const std::string reply = test::receive_until(client, "}\n", 2s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 ", 0), 0u) << reply;
  EXPECT_EQ(requested().size(), 2u);
}

TEST_F(WebhookRouteTest, ASlowBodyIsCutOffWhenItsTimeRunsOut) {
  StatusServerLimits limits;
  limits.body_timeout = 500ms;
  start(true, limits);
  const FileDescriptor client = test::connect_raw(m_port);
  ASSERT_TRUE(
      test::send_raw(client, "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
  const auto start_time = std::chrono::steady_clock::now();
  // A byte every 20 ms: never the whole body.
  const bool cut_off =
      test::wait_until([&] { return !test::send_raw(client, "x") || test::closed_by_peer(client); }, 5s);
  const auto took = std::chrono::steady_clock::now() - start_time;
  EXPECT_TRUE(cut_off);
  EXPECT_LT(took, 2s);
  EXPECT_TRUE(requested().empty());
  EXPECT_EQ(test::get_health(m_port).status, 200);
}

TEST_F(WebhookRouteTest, ANinthBodyReceivedAtOnceIsRefusedAsBusy) {
  start();
  const auto answer_head = [](const FileDescriptor &client) { return test::receive_until(client, "\r\n\r\n", 2s); };
  const std::string head = "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
  std::vector<FileDescriptor> holding;
  for (std::size_t i = 0; i < kMostWebhookBodiesAtOnce; ++i) {
    holding.push_back(test::connect_raw(m_port));
    ASSERT_TRUE(test::send_raw(holding.back(), head + "{"));
  }
  // The server reads connections in the order they come: once it has answered a later one, it
  // has read the heads before it.
  EXPECT_EQ(test::get_health(m_port).status, 200);
  const FileDescriptor ninth = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(ninth, head));
  EXPECT_EQ(answer_head(ninth).rfind("HTTP/1.1 503 ", 0), 0u);
  EXPECT_EQ(metric("busy"), "1");

  // One body completes (unsigned: 401), and its place is free again.
  ASSERT_TRUE(test::send_raw(holding.front(), std::string(999, ' ')));
  EXPECT_EQ(answer_head(holding.front()).rfind("HTTP/1.1 401 ", 0), 0u);
  const FileDescriptor tenth = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(tenth, head + "{" + std::string(999, ' ')));
  EXPECT_EQ(answer_head(tenth).rfind("HTTP/1.1 401 ", 0), 0u);
  EXPECT_EQ(metric("busy"), "1");
  EXPECT_TRUE(requested().empty());
}

TEST_F(WebhookRouteTest, WithoutASecretThereIsNoRouteAndNoMetric) {
  start(false);
  auto answer = post_signed(test::task_event("evt_off", "task.healed", kMirrored));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 404);
  EXPECT_TRUE(requested().empty());
  EXPECT_EQ(metric("accepted"), "absent");

  // A body that arrives after its head is still waited for: the answer is the route's, not 400.
  const FileDescriptor client = test::connect_raw(m_port);
  ASSERT_TRUE(test::send_raw(client, "POST /webhooks/anchorbrowser HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"));
  // The server reads connections in the order they come: once it has answered a later one, it
  // has read the head before it.
  EXPECT_EQ(test::get_health(m_port).status, 200);
  ASSERT_TRUE(test::send_raw(client, "{}"));
  EXPECT_EQ(test::receive_until(client, "\r\n\r\n", 2s).rfind("HTTP/1.1 404 ", 0), 0u);
}

TEST_F(WebhookRouteTest, EveryOutcomeIsShownFromZero) {
  start();
  for (const char *outcome : {"accepted", "ignored", "duplicate", "unauthorized", "too_large", "bad_request", "busy"}) {
    EXPECT_EQ(metric(outcome), "0") << outcome;
  }
  httplib::Client client("127.0.0.1", m_port);
  auto get = client.Get(std::string(kWebhookPath));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
}

// The route alone: a request value in, a response value out, and the refusals the listener makes
// before a body is read told in the route's words.

namespace {

// The route of `table` for `method` and `path`; fails the test when there is none.
const http::Route &route_of(const std::vector<http::Route> &table, http::Method method) {
  const auto found = std::find_if(table.begin(), table.end(), [&](const http::Route &route) {
    return route.method == method && route.path == kWebhookPath;
  });
  EXPECT_NE(found, table.end());
  return *found;
}

} // namespace

TEST_F(WebhookRouteTest, AloneWithoutASignatureCheckThereIsNoneAndNoMetric) {
  EXPECT_TRUE(webhook_routes({}, m_metrics).empty());
  EXPECT_EQ(metric("accepted"), "absent");
}

TEST_F(WebhookRouteTest, AloneASignedDeliveryIsAnsweredCountedAndLogged) {
  const auto table = webhook_routes(recording_route(), m_metrics);
  EXPECT_EQ(metric("accepted"), "0");
  const std::string body = test::task_event("evt_1", "task.completed", kMirrored);
  const http::Response response =
      route_of(table, http::Method::post)
          .handle({"POST",
                   std::string(kWebhookPath),
                   {{"anchor-signature", test::anchor_signature(kSecret, body, test::unix_now())}},
                   body,
                   "192.0.2.7"});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"event\":\"accepted\",\"pass\":\"started\"}\n");
  EXPECT_EQ(requested(), std::vector<std::string>{kMirrored});
  EXPECT_EQ(metric("accepted"), "1");
  EXPECT_EQ(m_log.with("POST /webhooks/anchorbrowser from 192.0.2.7: event \"evt_1\"").size(), 1u);
  const http::Response get = route_of(table, http::Method::get).handle({"GET", std::string(kWebhookPath)});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers, (std::vector<std::pair<std::string, std::string>>{{"Allow", "POST"}}));
}

TEST_F(WebhookRouteTest, AloneItTakesABodyOfOneMebibyteEightAtOnceAndCountsAndLogsEachRefusalBeforeIt) {
  const auto table = webhook_routes(recording_route(), m_metrics);
  const http::Route &post = route_of(table, http::Method::post);
  ASSERT_TRUE(post.body);
  EXPECT_EQ(post.body->max_bytes, 1024u * 1024u);
  EXPECT_EQ(post.body->most_at_once, 8u);
  struct Case {
    http::Refusal why;
    std::string json;
    std::string outcome;
    std::string line;
  };
  for (const Case &refused : std::vector<Case>{
           {http::Refusal::too_large, "{\"error\":\"the body is larger than 1 MiB\"}\n", "too_large",
            "refused (413): the body is larger than 1 MiB (1048576 bytes)"},
           {http::Refusal::busy, "{\"error\":\"too many deliveries at once; try again\"}\n", "busy",
            "refused (503): more than 8 deliveries' bodies are being received at once"},
           {http::Refusal::malformed, "{\"error\":\"the body's length is not clear\"}\n", "bad_request",
            "refused (400): the body's framing is broken (Content-Length not a number or twice, "
            "Transfer-Encoding other than chunked or with Content-Length)"},
       }) {
    EXPECT_EQ(post.body->refused(refused.why, "192.0.2.9"), refused.json);
    EXPECT_EQ(metric(refused.outcome), "1") << refused.outcome;
    EXPECT_EQ(m_log.with("POST /webhooks/anchorbrowser from 192.0.2.9: " + refused.line).size(), 1u) << refused.line;
  }
  EXPECT_TRUE(requested().empty());
}
