#include "run/fetch_pool.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"
#include "process.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "pool-test-key";

class FetchPoolTest : public ::testing::Test {
protected:
  FetchPoolTest() {
    m_settings.base_url = *parse_base_url(m_api.base_url());
    m_settings.retries = 0;
    for (int i = 1; i <= 6; ++i) {
      test::FakeVersion version;
      version.task_id = test::numbered_task_id(i);
      version.code = "// task " + std::to_string(i) + "\n";
      m_api.set_version(version);
      m_tasks.push_back({version.task_id, ""});
    }
  }

  std::unique_ptr<FetchPool> pool(std::size_t concurrency) {
    auto created = FetchPool::create(m_settings, kKey, concurrency, m_names);
    EXPECT_TRUE(created.ok());
    return std::move(created).value();
  }

  static TasksTree empty_tree() { return std::move(TasksTree::parse("").value()); }

  test::FakeApi m_api{kKey};
  ApiSettings m_settings;
  TaskNames m_names;
  std::vector<TaskEntry> m_tasks;
};

TEST_F(FetchPoolTest, HandsAnswersOverInConfigOrderWhateverAnswersFirst) {
  // The first task answers last: the others are fetched meanwhile, and still come after it.
  m_api.set_reply(m_tasks[0].id, {503, R"({"error":{"code":503,"message":"busy"}})", 300ms});
  auto fetching = pool(3);
  fetching->start(m_tasks, empty_tree(), nullptr, {}, {});
  const auto first = fetching->take(0, {});
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->result.ok());
  EXPECT_EQ(m_api.requests(m_tasks[1].id), 1) << "fetched while the first task was slow";
  for (std::size_t i = 1; i < m_tasks.size(); ++i) {
    const auto fetched = fetching->take(i, {});
    ASSERT_TRUE(fetched.has_value() && fetched->result.ok()) << i;
    EXPECT_EQ(fetched->result->task_id, m_tasks[i].id);
    ASSERT_TRUE(fetched->snapshot.has_value());
    EXPECT_EQ(fetched->snapshot->files.back().content, "// task " + std::to_string(i + 1) + "\n");
  }
  fetching->finish();
}

TEST_F(FetchPoolTest, FetchesAtMostAWindowAhead) {
  auto fetching = pool(1); // a window of 2 answers
  fetching->start(m_tasks, empty_tree(), nullptr, {}, {});
  ASSERT_TRUE(fetching->take(0, {}).has_value());
  ASSERT_TRUE(test::wait_until([&] { return m_api.requests(m_tasks[2].id) == 1; }, 5s));
  const auto fetched = fetching->take(1, {});
  ASSERT_TRUE(fetched.has_value());
  // With index 1 taken, indices below 1 + 1 + 2 may be fetched: index 3, not index 4.
  ASSERT_TRUE(test::wait_until([&] { return m_api.requests(m_tasks[3].id) == 1; }, 5s));
  EXPECT_EQ(m_api.requests(m_tasks[4].id), 0);
  fetching->finish();
}

TEST_F(FetchPoolTest, AStopRequestEndsTheWaitForAnAnswer) {
  m_api.set_reply(m_tasks[0].id, {200, "", 10s});
  auto fetching = pool(1);
  std::stop_source stop;
  fetching->start(m_tasks, empty_tree(), nullptr, stop.get_token(), {});
  std::jthread stopper([&] {
    test::wait_until([&] { return m_api.requests(m_tasks[0].id) == 1; }, 5s);
    stop.request_stop(); // the request goes on; the pool's destructor cancels it
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(fetching->take(0, stop.get_token()).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  fetching->finish();
}

} // namespace
