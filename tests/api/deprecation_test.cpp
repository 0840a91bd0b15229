#include "api/deprecation.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"

using namespace tasksync;

namespace {

const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

class DeprecationTest : public ::testing::Test {
protected:
  DeprecationTest() {
    log::set_sink([this](std::string_view line) { m_log.emplace_back(line); });
  }
  ~DeprecationTest() override { log::set_sink({}); }

  std::vector<std::string> m_log;
  DeprecationNotices m_notices;
};

} // namespace

TEST(EndpointOf, NamesTheEndpointNotTheTaskOrThePage) {
  EXPECT_EQ(endpoint_of("/v1/task/" + kTask + "/latest"), "GET /v1/task/{id}/latest");
  EXPECT_EQ(endpoint_of("/v1/task/" + kTask + "/7"), "GET /v1/task/{id}/{version}");
  EXPECT_EQ(endpoint_of("/v1/task/" + kTask), "GET /v1/task/{id}");
  EXPECT_EQ(endpoint_of("/v1/task?page=3&limit=100"), "GET /v1/task");
}

TEST_F(DeprecationTest, AnnouncedRetirementIsLoggedOnceWithTheEndpointAndTheDates) {
  for (int i = 0; i < 3; ++i) {
    m_notices.record("/v1/task/" + kTask + "/latest", "@1772323200", "Thu, 31 Dec 2026 23:59:59 GMT");
  }
  ASSERT_EQ(m_log.size(), 1u);
  EXPECT_NE(m_log[0].find("warning: the API announces that GET /v1/task/{id}/latest, which tasksyncd depends on, "
                          "will be retired (Deprecation: @1772323200 = 2026-03-01T00:00:00Z, "
                          "Sunset: Thu, 31 Dec 2026 23:59:59 GMT = 2026-12-31T23:59:59Z)"),
            std::string::npos)
      << m_log[0];
  const auto notices = m_notices.all();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].deprecated_at, 1772323200);
  EXPECT_EQ(notices[0].sunset_at, 1798761599);
}

TEST_F(DeprecationTest, ANewDateIsLoggedAgainAndAnswersWithoutHeadersAreNoNotice) {
  m_notices.record("/v1/task", std::nullopt, std::nullopt);
  EXPECT_TRUE(m_log.empty());
  EXPECT_TRUE(m_notices.all().empty());
  m_notices.record("/v1/task?page=1&limit=100", "true", std::nullopt);
  m_notices.record("/v1/task?page=2&limit=100", "true", "Thu, 31 Dec 2026 23:59:59 GMT");
  ASSERT_EQ(m_log.size(), 2u);
  EXPECT_NE(m_log[0].find("GET /v1/task, which tasksyncd depends on, is deprecated (Deprecation: true)"),
            std::string::npos)
      << m_log[0];
  EXPECT_NE(m_log[1].find("will be retired"), std::string::npos) << m_log[1];
}

TEST_F(DeprecationTest, AHugeHeaderIsCutShort) {
  m_notices.record("/v1/task", std::string(5000, 'x'), std::nullopt);
  ASSERT_EQ(m_log.size(), 1u);
  EXPECT_LT(m_log[0].size(), 400u);
}
