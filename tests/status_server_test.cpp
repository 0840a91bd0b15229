#include "status_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

#include "process.hpp"

using namespace tasksync;

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
