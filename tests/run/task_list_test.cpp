#include "run/task_list.hpp"
#include "run/task_selection.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"

using namespace tasksync;

namespace {

class TaskListTest : public ::testing::Test {
protected:
  TaskListTest() {
    m_config.api.base_url = *parse_base_url(m_api.base_url());
    m_config.api.retries = 0;
  }
  ApiClient client() { return std::move(ApiClient::create(m_config.api, "list-key")).value(); }

  test::FakeApi m_api{"list-key"};
  Config m_config;
};

} // namespace

TEST_F(TaskListTest, TheConfiguredListNeedsNoRequest) {
  m_config.tasks = {{test::numbered_task_id(2), "b"}, {test::numbered_task_id(1), "a"}};
  auto api = client();
  auto tasks = resolve_tasks(m_config, api);
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(tasks->size(), 2u);
  EXPECT_EQ((*tasks)[0].id, test::numbered_task_id(2)) << "the configured order is kept";
}

TEST_F(TaskListTest, AllReadsEveryPageSortsAndExcludes) {
  for (int i = 250; i >= 1; --i) {
    test::FakeVersion version;
    version.task_id = test::numbered_task_id(i);
    m_api.set_version(version);
    m_api.set_name(test::numbered_task_id(i), "task number " + std::to_string(i));
  }
  m_config.all_tasks = true;
  m_config.tasks_exclude = {test::numbered_task_id(7)};
  auto api = client();
  auto tasks = resolve_tasks(m_config, api);
  ASSERT_TRUE(tasks.ok()) << tasks.error().message;
  ASSERT_EQ(tasks->size(), 249u);
  EXPECT_TRUE(std::is_sorted(tasks->begin(), tasks->end(), [](const auto &a, const auto &b) { return a.id < b.id; }));
  EXPECT_EQ(
      std::count_if(tasks->begin(), tasks->end(), [](const auto &t) { return t.id == test::numbered_task_id(7); }), 0);
  EXPECT_EQ(tasks->front().name, "task number 1");
  EXPECT_EQ(tasks->back().id, test::numbered_task_id(250));
}

TEST_F(TaskListTest, AFailingPageFailsTheListAndSaysWhich) {
  m_config.all_tasks = true;
  auto api = ApiClient::create(m_config.api, "wrong-key");
  auto tasks = resolve_tasks(m_config, *api);
  ASSERT_FALSE(tasks.ok());
  EXPECT_TRUE(tasks.error().is_auth_failure());
  EXPECT_EQ(tasks.error().message, "listing the team's tasks (page 1): HTTP 401: Invalid API key");
}

namespace {

// 250 tasks in the fake's list (three pages); a pool of four workers to read it.
class TaskListWaveTest : public TaskListTest {
protected:
  TaskListWaveTest() {
    for (int i = 1; i <= 250; ++i) {
      test::FakeVersion version;
      version.task_id = test::numbered_task_id(i);
      m_api.set_version(version);
    }
  }
  // The whole list read on a pool of four workers, as a pass expecting `expected_total` tasks reads it.
  Result<TaskListing, FetchError> read(long long expected_total) {
    auto api = client();
    auto workers = std::move(FetchPool::create(m_config.api, "list-key", 4, m_names)).value();
    return read_task_list(api, workers.get(), {}, {}, std::numeric_limits<std::size_t>::max(), expected_total);
  }

  // A list entry for task `number`.
  static std::string entry(int number) {
    return R"({"id":")" + test::numbered_task_id(number) +
           R"(","name":"","teamId":"t","latestVersion":"1","code":"","language":"typescript","deleted":false,)"
           R"("createdAt":"2026-10-01T08:00:00Z","updatedAt":"2026-10-01T08:00:00Z"})";
  }

  TaskNames m_names;
};

} // namespace

TEST_F(TaskListWaveTest, TheExpectedPagesAreAskedWithThePageThatGivesTheTotal) {
  m_api.hold_list_until_in_flight(3);
  auto listing = read(250);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->tasks.size(), 250u);
  EXPECT_TRUE(listing->complete()) << listing->incomplete_because;
  EXPECT_EQ(m_api.list_requests(), 3);
  EXPECT_EQ(m_api.most_list_requests_in_flight(), 3) << "pages 2 and 3 did not wait for page 1's total";
}

TEST_F(TaskListWaveTest, AnExpectedTotalPastTheListCostsAtMostTheRestOfOneWave) {
  auto listing = read(10000);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->tasks.size(), 250u);
  EXPECT_TRUE(listing->complete()) << "the empty page past the end is no shortfall: " << listing->incomplete_because;
  EXPECT_EQ(m_api.list_requests(), 4) << "one wave as wide as the pool: pages 1-4, the 4th empty";
}

TEST_F(TaskListWaveTest, AThousandTasksCostTenPages) {
  for (int i = 251; i <= 1000; ++i) {
    test::FakeVersion version;
    version.task_id = test::numbered_task_id(i);
    m_api.set_version(version);
  }
  auto listing = read(1000);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->tasks.size(), 1000u);
  EXPECT_TRUE(listing->complete()) << listing->incomplete_because;
  EXPECT_EQ(m_api.list_requests(), 10);
}

TEST_F(TaskListWaveTest, AServerThatServesFewerTasksAPageThanAskedIsReadToTheEnd) {
  m_api.serve_at_most_per_page(50);
  auto listing = read(250);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(listing->tasks.size(), 250u);
  EXPECT_TRUE(listing->complete()) << listing->incomplete_because;
  EXPECT_EQ(m_api.list_requests(), 5) << "pages 1-3 as expected, then 4 and 5 for the 100 tasks left at 50 a page";
}

TEST_F(TaskListWaveTest, AnEmptyPageLeavesTheReadIncompleteAndSaysWhich) {
  m_api.empty_page_once(2);
  auto listing = read(250);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_FALSE(listing->complete());
  EXPECT_EQ(shortfall(*listing), "read 150 distinct tasks of 250 (page 2 was empty)");
  EXPECT_EQ(m_api.list_requests(), 3);
}

TEST_F(TaskListWaveTest, AServerThatRepeatsItsPagesEndsTheReadIncomplete) {
  // Every page is the same two tasks of five.
  m_api.set_list_reply(test::FakeApi::Reply{
      200, R"({"data":{"total":5,"page":1,"limit":100,"tasks":[)" + entry(1) + "," + entry(2) + "]}}", {}});
  auto listing = read(0);
  ASSERT_TRUE(listing.ok()) << listing.error().message;
  EXPECT_EQ(shortfall(*listing), "read 2 distinct tasks of 5 (page 2 repeated tasks already read)");
  EXPECT_EQ(m_api.list_requests(), 3) << "page 1, then pages 2 and 3 for three tasks at two a page";
}
