// A task list that comes back short or odd, against the real tasksyncd binary (issue 21): with
// `tasks: all` and `repo.prune: true` a task is deleted as no longer listed only when a complete
// read of the list misses it. A page that comes back empty deletes nothing (and the next pass
// re-adds nothing), and a server that serves fewer tasks a page than asked is read to the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-task-list-7d3a";
// Two pages of the list at the most it asks for (100 a page), three at 50.
constexpr int kTasks = 120;

class ShortTaskListTest : public test::DaemonFixture {
protected:
  ShortTaskListTest() : DaemonFixture(kKey) {
    for (int i = 1; i <= kTasks; ++i)
      serve(test::numbered_task_id(i));
    write_config({.timeout_seconds = 10, .repo_keys = "  prune: true\n", .rest = "tasks: all\n"});
  }

  // `tasksyncd --once`, which must end by itself within 60 s.
  test::TasksyncdRun once() {
    auto run = DaemonFixture::once({}, 60s);
    EXPECT_TRUE(run.exit_code.has_value()) << "tasksyncd --once did not end within 60 s";
    return run;
  }

  int commits() { return DaemonFixture::commits("main"); }

  // The task directories in HEAD.
  int tasks_in_head() {
    const std::string names = git({"ls-tree", "--name-only", "main:tasks"}).out;
    return static_cast<int>(std::count(names.begin(), names.end(), '\n'));
  }
};

} // namespace

TEST_F(ShortTaskListTest, APageThatComesBackEmptyOnceDeletesNothingAndTheNextPassAddsNothing) {
  const auto imported = once();
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  ASSERT_EQ(commits(), kTasks);
  // Page 2 holds tasks 101-120; task 120 changes meanwhile.
  const std::string changed = test::numbered_task_id(kTasks);
  m_api.set_version(test::task_version(changed, "2"));
  m_api.empty_page_once(2);

  const auto short_pass = once();
  EXPECT_EQ(short_pass.exit_code, 0) << "nothing is lost: a warning, not a failure\n" << short_pass.err;
  EXPECT_NE(short_pass.err.find(
                "warning: task list incomplete: read 100 distinct tasks of 120 (page 2 was empty); "
                "not treating any task as no longer listed this pass, and fetching the 20 tasks mirrored that "
                "it lacks from /latest\n"),
            std::string::npos)
      << short_pass.err;
  EXPECT_EQ(short_pass.err.find("no longer listed by the API"), std::string::npos) << short_pass.err;
  EXPECT_EQ(tasks_in_head(), kTasks) << "no task deleted";
  EXPECT_EQ(commits(), kTasks + 1) << "only task 120's update: the tasks the short list lacks are fetched from /latest";
  EXPECT_EQ(git({"log", "-1", "--format=%s", "main"}).out, changed + ": update to version 2\n");

  const auto next = once();
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(commits(), kTasks + 1) << "nothing to re-add\n" << next.err;
  EXPECT_EQ(next.err.find("incomplete"), std::string::npos) << next.err;
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(ShortTaskListTest, AServerThatServesFewerTasksAPageThanAskedIsReadToTheEnd) {
  m_api.serve_at_most_per_page(50);
  const auto imported = once();
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(commits(), kTasks) << "every task is seen, not the first 100";
  EXPECT_EQ(tasks_in_head(), kTasks);
  EXPECT_EQ(m_api.list_requests(), 3) << "pages 1 to 3 of 50";
  EXPECT_EQ(imported.err.find("incomplete"), std::string::npos) << imported.err;

  // A complete list still prunes what it really lacks, and nothing else.
  const std::string removed = test::numbered_task_id(7);
  m_api.unlist(removed);
  const auto pruned = once();
  EXPECT_EQ(pruned.exit_code, 0) << pruned.err;
  EXPECT_EQ(commits(), kTasks + 1);
  EXPECT_EQ(tasks_in_head(), kTasks - 1);
  EXPECT_EQ(git({"log", "-1", "--format=%B", "main"}).out,
            removed + ": delete (no longer listed by the API)\n\nTask-Id: " + removed + "\n\n");
  EXPECT_EQ(m_api.list_requests(), 6) << "pages 1 to 3 again";

  const auto quiet = once();
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(commits(), kTasks + 1);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(ShortTaskListTest, AWellBehavedListCostsOneRequestAPage) {
  ASSERT_EQ(once().exit_code, 0);
  ASSERT_EQ(m_api.list_requests(), 2);
  const int fetched = m_api.requests(test::numbered_task_id(1));

  const auto quiet = once();
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(m_api.list_requests(), 4) << "pages 1 and 2, nothing more";
  EXPECT_EQ(m_api.requests(test::numbered_task_id(1)), fetched) << "unchanged as listed: no /latest";
  EXPECT_EQ(commits(), kTasks);
}
