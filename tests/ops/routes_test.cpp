// The status server's routes alone, as values in and out: no socket, no listener. (The
// webhook's are in webhook_route_test.cpp, with its tests over HTTP.)
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "log_lines.hpp"
#include "ops/health_route.hpp"
#include "ops/metrics_route.hpp"
#include "ops/sync_route.hpp"

using namespace tasksync;

namespace {

const std::string kToken = "0123456789abcdef-sync";

// The route of `table` for `method` and `path`; fails the test when there is none.
const http::Route &route_of(const std::vector<http::Route> &table, http::Method method, const std::string &path) {
  const auto found = std::find_if(table.begin(), table.end(), [&](const http::Route &route) {
    return route.method == method && route.path == path;
  });
  EXPECT_NE(found, table.end()) << path;
  return *found;
}

// A request from 192.0.2.7 without a body.
http::Request request(std::string method, std::string path,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  return {std::move(method), std::move(path), std::move(headers), "", "192.0.2.7"};
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
  test::LogLines log;
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
  test::LogLines log;
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
