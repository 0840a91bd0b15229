// The status server's routes alone, as values in and out: no socket, no listener.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "ops/health_route.hpp"
#include "ops/metrics_route.hpp"
#include "ops/sync_route.hpp"
#include "ops/webhook_route.hpp"
#include "webhook_signing.hpp"

using namespace tasksync;

namespace {

const std::string kToken = "0123456789abcdef-sync";
const std::string kSecret = "whsec_routes_test_9f8e7d6c";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

// The route of `table` for `method` and `path`; fails the test when there is none.
const http::Route &route_of(const std::vector<http::Route> &table, http::Method method, const std::string &path) {
  const auto found = std::find_if(table.begin(), table.end(), [&](const http::Route &route) {
    return route.method == method && route.path == path;
  });
  EXPECT_NE(found, table.end()) << path;
  return *found;
}

http::Request request(std::string method, std::string path,
                      std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
  return {std::move(method), std::move(path), std::move(headers), std::move(body), "192.0.2.7"};
}

// The log lines written while it lives.
class LogLines {
public:
  LogLines() {
    log::set_sink([this](std::string_view line) {
      std::lock_guard lock(m_mutex);
      m_lines.emplace_back(line);
    });
  }
  ~LogLines() { log::set_sink({}); }
  LogLines(const LogLines &) = delete;
  LogLines &operator=(const LogLines &) = delete;

  std::vector<std::string> with(const std::string &text) {
    std::lock_guard lock(m_mutex);
    std::vector<std::string> lines;
    std::copy_if(m_lines.begin(), m_lines.end(), std::back_inserter(lines),
                 [&](const std::string &line) { return line.find(text) != std::string::npos; });
    return lines;
  }

private:
  std::mutex m_mutex;
  std::vector<std::string> m_lines;
};

// The value of tasksync_webhook_requests_total for `outcome`, or "absent".
std::string webhook_count(const Metrics &metrics, const std::string &outcome) {
  const std::string text = metrics.serialize();
  const std::string name = "tasksync_webhook_requests_total{outcome=\"" + outcome + "\"} ";
  const auto at = text.find(name);
  return at == std::string::npos ? "absent" : text.substr(at + name.size(), text.find('\n', at) - at - name.size());
}

} // namespace

TEST(HealthRoute, Is200WhenHealthyElse503WithTheProbesJson) {
  bool healthy = true;
  const http::Route route = health_route([&] { return HealthReport{healthy, healthy ? "{\"ok\":1}" : "{\"ok\":0}"}; });
  EXPECT_EQ(route.method, http::Method::get);
  EXPECT_EQ(route.path, "/healthz");
  EXPECT_FALSE(route.body);
  http::Response response = route.handle(request("GET", "/healthz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"ok\":1}");
  healthy = false;
  response = route.handle(request("GET", "/healthz"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "{\"ok\":0}");
}

TEST(MetricsRoute, IsThePrometheusText) {
  Metrics metrics;
  const http::Route route = metrics_route(metrics);
  EXPECT_EQ(route.path, "/metrics");
  const http::Response response = route.handle(request("GET", "/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4");
  EXPECT_EQ(response.body, metrics.serialize());
}

TEST(SyncRoutes, WithoutATokenThereAreNone) { EXPECT_TRUE(sync_routes({}).empty()); }

TEST(SyncRoutes, PostNeedsTheBearerTokenAndAsksForAPassAndGetIs405) {
  LogLines log;
  int requests = 0;
  bool running = false;
  const auto table = sync_routes({std::make_shared<BearerToken>(kToken), [&] {
                                    ++requests;
                                    return running;
                                  }});
  const http::Route &post = route_of(table, http::Method::post, "/sync");
  http::Response response = post.handle(request("POST", "/sync", {{"Authorization", "Bearer wrong"}}));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body, "{\"error\":\"missing or wrong bearer token\"}\n");
  EXPECT_EQ(response.headers, (std::vector<std::pair<std::string, std::string>>{{"WWW-Authenticate", "Bearer"}}));
  EXPECT_EQ(post.handle(request("POST", "/sync")).status, 401);
  EXPECT_EQ(requests, 0);

  response = post.handle(request("POST", "/sync", {{"authorization", "Bearer " + kToken}}));
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(response.body, "{\"pass\":\"started\"}\n");
  running = true;
  EXPECT_EQ(post.handle(request("POST", "/sync", {{"Authorization", "Bearer " + kToken}})).body,
            "{\"pass\":\"queued\"}\n");
  EXPECT_EQ(requests, 2);
  EXPECT_EQ(log.with("POST /sync from 192.0.2.7: starting a pass").size(), 1u);

  response = route_of(table, http::Method::get, "/sync").handle(request("GET", "/sync"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers, (std::vector<std::pair<std::string, std::string>>{{"Allow", "POST"}}));
}

TEST(SyncRoutes, RefusalsAreLoggedAtMostEveryTenSecondsAndNeverWithTheToken) {
  LogLines log;
  const auto table = sync_routes({std::make_shared<BearerToken>(kToken), [] { return false; }});
  const http::Route &post = route_of(table, http::Method::post, "/sync");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(post.handle(request("POST", "/sync", {{"Authorization", "Bearer " + kToken + "x"}})).status, 401);
  const auto lines = log.with("POST /sync");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("POST /sync from 192.0.2.7: refused, missing or wrong bearer token"), std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find(kToken), std::string::npos) << lines[0];
}

TEST(WebhookRoutes, WithoutASignatureCheckThereAreNoneAndNoMetric) {
  Metrics metrics;
  EXPECT_TRUE(webhook_routes({}, metrics).empty());
  EXPECT_EQ(webhook_count(metrics, "accepted"), "absent");
}

TEST(WebhookRoutes, ASignedDeliveryIsAnsweredCountedAndLogged) {
  LogLines log;
  Metrics metrics;
  std::vector<std::string> asked;
  const auto table = webhook_routes({std::make_shared<WebhookSignatureCheck>(std::vector{kSecret}),
                                     [&](const TaskEventRequest &event) {
                                       asked.push_back(event.task_id.value_or(""));
                                       return TaskPassRequest::started;
                                     }},
                                    metrics);
  EXPECT_EQ(webhook_count(metrics, "accepted"), "0");
  const http::Route &post = route_of(table, http::Method::post, "/webhooks/anchorbrowser");
  const std::string body = test::task_event("evt_1", "task.completed", kTask);
  const http::Response response =
      post.handle(request("POST", "/webhooks/anchorbrowser",
                          {{"anchor-signature", test::anchor_signature(kSecret, body, test::unix_now())}}, body));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, "{\"event\":\"accepted\",\"pass\":\"started\"}\n");
  EXPECT_EQ(asked, std::vector<std::string>{kTask});
  EXPECT_EQ(webhook_count(metrics, "accepted"), "1");
  EXPECT_EQ(log.with("POST /webhooks/anchorbrowser from 192.0.2.7: event \"evt_1\"").size(), 1u);
  EXPECT_EQ(route_of(table, http::Method::get, "/webhooks/anchorbrowser").handle(request("GET", "/x")).status, 405);
}

TEST(WebhookRoutes, TakesABodyOfOneMebibyteEightAtOnceAndCountsAndLogsEachRefusalBeforeIt) {
  LogLines log;
  Metrics metrics;
  const auto table = webhook_routes({std::make_shared<WebhookSignatureCheck>(std::vector{kSecret}),
                                     [](const TaskEventRequest &) { return TaskPassRequest::started; }},
                                    metrics);
  const http::Route &post = route_of(table, http::Method::post, "/webhooks/anchorbrowser");
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
    EXPECT_EQ(webhook_count(metrics, refused.outcome), "1") << refused.outcome;
    EXPECT_EQ(log.with("POST /webhooks/anchorbrowser from 192.0.2.9: " + refused.line).size(), 1u) << refused.line;
  }
}
