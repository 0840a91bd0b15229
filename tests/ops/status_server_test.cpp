#include "ops/status_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "base/fd_limit.hpp"
#include "process.hpp"
#include "status_clients.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

HealthReport healthy() { return {true, "{\"status\":\"ok\"}"}; }

// Room in this process's descriptor limit for `count` more, raising the soft limit if needed.
bool room_for_descriptors(rlim_t count) {
  (void)raise_open_file_limit();
  rlimit limit{};
  return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= count;
}

// Sends one more byte of a request head that never ends to each client every 50 ms, on a thread
// of its own, until destroyed.
class Trickler {
public:
  explicit Trickler(std::vector<FileDescriptor> &clients)
      : m_thread([this, &clients] {
          const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
          std::unique_lock lock(m_mutex);
          for (std::size_t sent = 0; !m_stop; ++sent) {
            const char byte = sent < head.size() ? head[sent] : 'a';
            for (const FileDescriptor &client : clients)
              test::send_raw(client, std::string_view(&byte, 1));
            ++m_rounds;
            m_wake.wait_for(lock, 50ms, [this] { return m_stop; });
          }
        }) {}
  ~Trickler() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }
  Trickler(const Trickler &) = delete;
  Trickler &operator=(const Trickler &) = delete;

  // Bytes sent to each client so far.
  int rounds() const { return m_rounds; }

private:
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::atomic<int> m_rounds = 0;
  std::thread m_thread;
};

} // namespace

TEST(StatusServer, ServesHealthAndMetrics) {
  Metrics metrics;
  std::atomic<bool> healthy = true;
  const int port = test::free_port();
  auto server = StatusServer::start({"127.0.0.1", port}, metrics, [&] {
    return HealthReport{healthy, healthy ? "{\"status\":\"ok\"}" : "{\"status\":\"unhealthy\"}"};
  });
  ASSERT_TRUE(server.ok()) << server.error().message;
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "{\"status\":\"ok\"}");
  healthy = false;
  health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);

  auto text = client.Get("/metrics");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
  EXPECT_NE(text->body.find("# TYPE tasksync_cycles_total counter"), std::string::npos) << text->body;
  EXPECT_EQ(client.Get("/other")->status, 404);
}

TEST(StatusServer, PostSyncNeedsTheBearerTokenAndAsksForAPass) {
  Metrics metrics;
  std::atomic<int> requests = 0;
  std::atomic<bool> running = false;
  const int port = test::free_port();
  const std::string token = "0123456789abcdef-sync";
  auto server = StatusServer::start(
      {"127.0.0.1", port}, metrics, [] { return HealthReport{}; }, StatusServerLimits{},
      SyncRoute{std::make_shared<BearerToken>(token), [&] {
                  ++requests;
                  return running.load();
                }});
  ASSERT_TRUE(server.ok()) << server.error().message;
  httplib::Client client("127.0.0.1", port);
  for (const httplib::Headers &refused : std::vector<httplib::Headers>{{},
                                                                       {{"Authorization", "Bearer wrong"}},
                                                                       {{"Authorization", "Bearer " + token + "x"}},
                                                                       {{"Authorization", "Basic " + token}},
                                                                       {{"Authorization", token}},
                                                                       {{"Authorization", "Bearer "}}}) {
    auto answer = client.Post("/sync", refused, "", "text/plain");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 401);
    EXPECT_EQ(answer->get_header_value("WWW-Authenticate"), "Bearer");
  }
  EXPECT_EQ(requests, 0);
  auto accepted = client.Post("/sync", {{"Authorization", "Bearer " + token}}, "", "text/plain");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202);
  EXPECT_EQ(accepted->body, "{\"pass\":\"started\"}\n");
  running = true;
  accepted = client.Post("/sync", {{"Authorization", "Bearer " + token}}, "", "text/plain");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->body, "{\"pass\":\"queued\"}\n");
  EXPECT_EQ(requests, 2);
  auto get = client.Get("/sync");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->get_header_value("Allow"), "POST");
}

TEST(StatusServer, WithoutASyncTokenThereIsNoSyncRoute) {
  Metrics metrics;
  const int port = test::free_port();
  auto server = StatusServer::start({"127.0.0.1", port}, metrics, [] { return HealthReport{}; });
  ASSERT_TRUE(server.ok()) << server.error().message;
  httplib::Client client("127.0.0.1", port);
  auto answer = client.Post("/sync", {{"Authorization", "Bearer anything-at-all-here"}}, "", "text/plain");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 404);
}

TEST(StatusServer, AnAddressInUseIsAnError) {
  Metrics metrics;
  const int port = test::free_port();
  auto first = StatusServer::start({"127.0.0.1", port}, metrics, [] { return HealthReport{}; });
  ASSERT_TRUE(first.ok());
  auto second = StatusServer::start({"127.0.0.1", port}, metrics, [] { return HealthReport{}; });
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("http.listen: cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos);
}

TEST(StatusServer, IdleConnectionsPastItsBudgetCostNoDescriptorsAndHealthStillAnswers) {
  constexpr int kIdle = 1100;
  if (!room_for_descriptors(kIdle + 200)) GTEST_SKIP() << "RLIMIT_NOFILE leaves no room for " << kIdle << " sockets";
  Metrics metrics;
  const int port = test::free_port();
  const StatusServerLimits limits;
  auto server = StatusServer::start({"127.0.0.1", port}, metrics, healthy);
  ASSERT_TRUE(server.ok()) << server.error().message;

  const int before = test::open_descriptors();
  std::vector<FileDescriptor> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(test::connect_raw(port));
    ASSERT_TRUE(idle.back().is_open()) << "connection " << i << ": " << std::strerror(errno);
  }
  // The server accepts in order: once /healthz (connected last) is answered, every idle
  // connection has been accepted, and those past the budget closed.
  const test::TimedAnswer health = test::get_health(port);
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(health.took, 1s);
  const int held_by_server = test::open_descriptors() - before - kIdle;
  EXPECT_LE(held_by_server, static_cast<int>(limits.max_connections));
  int closed = 0;
  EXPECT_TRUE(test::wait_until(
      [&] {
        closed = 0;
        for (const FileDescriptor &client : idle)
          closed += test::closed_by_peer(client) ? 1 : 0;
        return closed >= kIdle - static_cast<int>(limits.max_connections);
      },
      5s))
      << closed << " of " << kIdle << " idle connections closed by the server";
}

TEST(StatusServer, AnswersHealthWithinASecondWhileAHundredClientsTrickleTheirHeaders) {
  Metrics metrics;
  const int port = test::free_port();
  // Slow clients stay within their time for the whole test, however slow the machine: what is
  // shown is that they cannot hold the server, not that they are cut off (the next test).
  StatusServerLimits limits;
  limits.request_timeout = 60s;
  auto server = StatusServer::start({"127.0.0.1", port}, metrics, healthy, limits);
  ASSERT_TRUE(server.ok()) << server.error().message;

  std::vector<FileDescriptor> slow;
  for (int i = 0; i < 100; ++i) {
    slow.push_back(test::connect_raw(port));
    ASSERT_TRUE(slow.back().is_open()) << std::strerror(errno);
  }
  Trickler trickler(slow);
  ASSERT_TRUE(test::wait_until([&] { return trickler.rounds() >= 3; }, 10s));
  for (int i = 0; i < 5; ++i) {
    const test::TimedAnswer health = test::get_health(port);
    EXPECT_EQ(health.status, 200) << "request " << i;
    EXPECT_LT(health.took, 1s) << "request " << i;
  }
  // The server kept the newest connections up to its budget (one place went to the first
  // /healthz, which closed the oldest slow client left), and closed the rest.
  const auto still_open = [&] {
    int count = 0;
    for (const FileDescriptor &client : slow)
      count += test::closed_by_peer(client) ? 0 : 1;
    return count;
  };
  EXPECT_TRUE(test::wait_until([&] { return still_open() == static_cast<int>(limits.max_connections) - 1; }, 5s))
      << still_open() << " slow clients still connected";
  for (std::size_t i = slow.size() - (limits.max_connections - 1); i < slow.size(); ++i) {
    EXPECT_FALSE(test::closed_by_peer(slow[i])) << "slow client " << i << " of the newest was closed";
  }
}

TEST(StatusServer, ASlowClientIsCutOffWhenItsRequestTimeRunsOut) {
  Metrics metrics;
  const int port = test::free_port();
  const StatusServerLimits limits;
  auto server = StatusServer::start({"127.0.0.1", port}, metrics, healthy);
  ASSERT_TRUE(server.ok()) << server.error().message;

  const FileDescriptor client = test::connect_raw(port);
  ASSERT_TRUE(client.is_open());
  const auto start = std::chrono::steady_clock::now();
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  std::size_t sent = 0;
  // A byte every 20 ms (each check): far within any per-read timeout, never a whole request.
  const bool cut_off = test::wait_until(
      [&] {
        const char byte = sent < head.size() ? head[sent] : 'a';
        ++sent;
        return !test::send_raw(client, std::string_view(&byte, 1)) || test::closed_by_peer(client);
      },
      limits.request_timeout + 8s);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(cut_off) << "still connected after " << sent << " bytes";
  EXPECT_GE(took, limits.request_timeout - 50ms);
  EXPECT_LT(took, limits.request_timeout + 2s);
  EXPECT_GT(sent, 20u);
}
