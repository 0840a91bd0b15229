#include "run/task_selection.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"

using namespace tasksync;

namespace {

// `tasks: all` less the task numbered 3.
Config all_but_three() {
  Config config;
  config.all_tasks = true;
  config.tasks_exclude = {test::numbered_task_id(3)};
  return config;
}

// A report of a pass that went through the tasks numbered `numbers`, the last one deleted.
PassReport went_through(const std::vector<int> &numbers) {
  PassReport report;
  for (const int number : numbers)
    report.outcomes.emplace_back().task = {test::numbered_task_id(number), ""};
  report.outcomes.back().change = ChangeKind::deleted;
  return report;
}

} // namespace

TEST(TaskSelectionTest, TheListShowsEveryTaskButTheExcludedOnesSortedByIdAndNamedAsListed) {
  TaskListing listing;
  for (const int number : {4, 3, 1}) {
    ListEntry &entry = listing.tasks.emplace_back();
    entry.id = test::numbered_task_id(number);
    entry.name = "task " + std::to_string(number);
  }
  const auto tasks = listed_tasks(all_but_three(), listing);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].id, test::numbered_task_id(1));
  EXPECT_EQ(tasks[0].name, "task 1");
  EXPECT_EQ(tasks[1].id, test::numbered_task_id(4));
  EXPECT_TRUE(excluded(all_but_three(), test::numbered_task_id(3)));
  EXPECT_FALSE(excluded(all_but_three(), test::numbered_task_id(4)));
}

TEST(TaskSelectionTest, AfterAPassTheConfiguredTasksStandWhateverThePassSaw) {
  Config config;
  config.tasks = {{test::numbered_task_id(1), "one"}, {test::numbered_task_id(2), ""}};
  PassReport refused;
  refused.api_key_rejected = true;
  const std::set<std::string> configured{test::numbered_task_id(1), test::numbered_task_id(2)};
  EXPECT_EQ(tasks_after_pass(config, refused, Deleted::left_out), configured);
  EXPECT_EQ(configured_ids(config), configured);
  EXPECT_EQ(configured_ids(all_but_three()), std::nullopt);
}

TEST(TaskSelectionTest, WithAllTasksAPassThatSawNothingChangesNothing) {
  PassReport refused;
  refused.api_key_rejected = true;
  EXPECT_EQ(tasks_after_pass(all_but_three(), refused, Deleted::counted), std::nullopt);
  PassReport list_failed;
  list_failed.problems.push_back("listing the team's tasks (page 1): HTTP 500");
  EXPECT_EQ(tasks_after_pass(all_but_three(), list_failed, Deleted::counted), std::nullopt);
  EXPECT_EQ(tasks_after_pass(all_but_three(), PassReport{}, Deleted::counted), std::set<std::string>{})
      << "a pass without problems that went through no task saw an empty list";
}

TEST(TaskSelectionTest, WithAllTasksAPassNamesTheTasksItWentThroughItsDeletedOnesAsAsked) {
  const PassReport report = went_through({1, 2, 5});
  EXPECT_EQ(tasks_after_pass(all_but_three(), report, Deleted::counted),
            (std::set<std::string>{test::numbered_task_id(1), test::numbered_task_id(2), test::numbered_task_id(5)}));
  EXPECT_EQ(tasks_after_pass(all_but_three(), report, Deleted::left_out),
            (std::set<std::string>{test::numbered_task_id(1), test::numbered_task_id(2)}));
}

TEST(TaskSelectionTest, WebhookNamedTasksKeepTheirConfiguredNames) {
  Config config;
  config.tasks = {{test::numbered_task_id(2), "two"}};
  const auto tasks = named_tasks(config, {test::numbered_task_id(2), test::numbered_task_id(1)});
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].id, test::numbered_task_id(1));
  EXPECT_EQ(tasks[0].name, "");
  EXPECT_EQ(tasks[1].id, test::numbered_task_id(2));
  EXPECT_EQ(tasks[1].name, "two");
}

TEST(TaskSelectionTest, ThePassSizeIsKnownBeforeTheListWhenConfiguredOrListedBefore) {
  Config config;
  config.tasks = {{test::numbered_task_id(1), ""}};
  EXPECT_EQ(tasks_expected(config, 40), 1u);
  EXPECT_EQ(tasks_expected(all_but_three(), 40), 40u);
  EXPECT_EQ(tasks_expected(all_but_three(), std::nullopt), std::nullopt);
}

TEST(TaskSelectionTest, TheSummaryAndTheLogSayWhichTasksAreCovered) {
  Config config;
  config.tasks = {{test::numbered_task_id(1), "one"}, {test::numbered_task_id(2), ""}};
  EXPECT_EQ(tasks_summary(config), (std::vector<std::string>{"tasks: 2", "  " + test::numbered_task_id(1) + "  one",
                                                             "  " + test::numbered_task_id(2)}));
  EXPECT_EQ(describe_tasks(config), "2 tasks");
  EXPECT_EQ(tasks_summary(all_but_three()),
            std::vector<std::string>{"tasks: all (listed from the API each pass), 1 excluded"});
  EXPECT_EQ(describe_tasks(all_but_three()), "all the team's tasks");
}
