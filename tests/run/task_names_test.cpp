#include "run/task_names.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "names-test-key";
const std::string kNamed = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kUnlisted = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

class TaskNamesTest : public ::testing::Test {
protected:
  TaskNamesTest() {
    test::FakeVersion version;
    version.task_id = kNamed;
    m_api.set_version(version);
    m_api.set_name(kNamed, "login-check");
    ApiSettings settings;
    settings.base_url = *parse_base_url(m_api.base_url());
    settings.retries = 0;
    m_client = std::make_unique<ApiClient>(std::move(ApiClient::create(settings, kKey).value()));
  }

  test::FakeApi m_api{kKey};
  std::unique_ptr<ApiClient> m_client;
  TaskNames m_names;
};

TEST_F(TaskNamesTest, AsksTheApiOnceAndRemembersTheName) {
  const TaskEntry task{kNamed, ""};
  EXPECT_TRUE(m_names.unknown(task));
  EXPECT_EQ(m_names.label(task), kNamed);
  m_names.look_up(task, *m_client);
  m_names.look_up(task, *m_client);
  EXPECT_FALSE(m_names.unknown(task));
  EXPECT_EQ(m_names.label(task), "login-check");
  EXPECT_EQ(m_api.metadata_requests(kNamed), 1);
}

TEST_F(TaskNamesTest, AConfiguredNameNeedsNoRequest) {
  const TaskEntry task{kNamed, "from-config"};
  EXPECT_FALSE(m_names.unknown(task));
  m_names.look_up(task, *m_client);
  EXPECT_EQ(m_names.label(task), "from-config");
  EXPECT_EQ(m_api.metadata_requests(kNamed), 0);
}

TEST_F(TaskNamesTest, AFailedLookUpFallsBackToTheIdAndIsAskedAgainLater) {
  const TaskEntry task{kUnlisted, ""};
  m_names.look_up(task, *m_client);
  EXPECT_EQ(m_names.label(task), kUnlisted);
  EXPECT_TRUE(m_names.unknown(task));
  m_names.look_up(task, *m_client);
  EXPECT_EQ(m_api.metadata_requests(kUnlisted), 2);
}

} // namespace
