#include "run/cycle.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "fake_api.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "cycle-key";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

class CycleTest : public ::testing::Test {
protected:
  CycleTest() {
    for (const auto &id : {kTaskA, kTaskB}) {
      test::FakeVersion version;
      version.task_id = id;
      m_api.set_version(version);
    }
    m_api.set_name(kTaskA, "login-check");
    setenv("ANCHORBROWSER_API_KEY", kKey.c_str(), 1);
    log::set_sink([this](std::string_view line) { m_log.emplace_back(line); });
  }
  ~CycleTest() override {
    unsetenv("ANCHORBROWSER_API_KEY");
    log::set_sink({});
  }

  Runtime runtime(const std::string &tasks_yaml) {
    test::write_text(m_dir / "config.yaml", "api: {base_url: '" + m_api.base_url() + "'}\nrepo: {path: mirror" +
                                                m_repo_extra + "}\n" + tasks_yaml);
    auto opened = open_runtime(m_dir / "config.yaml", Mirror::Access::read_write);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return std::move(opened).value();
  }

  std::string git_out(const std::vector<std::string> &args) { return test::git((m_dir / "mirror").string(), args).out; }
  std::size_t logged(const std::string &text) const {
    return static_cast<std::size_t>(std::count_if(
        m_log.begin(), m_log.end(), [&](const auto &line) { return line.find(text) != std::string::npos; }));
  }

  test::TempDir m_dir;
  test::FakeApi m_api{kKey};
  std::string m_repo_extra;
  std::vector<std::string> m_log;
};

} // namespace

TEST_F(CycleTest, SubjectsUseTheApisNameWhenNoneIsConfigured) {
  Runtime run = runtime("tasks: [" + kTaskA + ", " + kTaskB + "]\n");
  PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 2u);
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s"}),
            "login-check: add version 1\n" + kTaskB + ": add version 1\n");
  EXPECT_EQ(m_api.metadata_requests(kTaskA), 0) << "the list read for the pass carries the name";
}

TEST_F(CycleTest, WithoutTheListTheNameIsAskedOnlyWhenACommitIsDue) {
  Runtime run = runtime("tasks: [" + kTaskA + "]\n"); // one task: a page of the list would cost as much
  PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_EQ(git_out({"log", "--format=%s"}), "login-check: add version 1\n");
  EXPECT_EQ(m_api.metadata_requests(kTaskA), 1);
  EXPECT_EQ(m_api.list_requests(), 0);

  report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_EQ(m_api.metadata_requests(kTaskA), 1) << "the name is asked for only when a commit is due";
}

TEST_F(CycleTest, AllMirrorsTheTeamAndKeepsTasksThatLeaveTheList) {
  Runtime run = runtime("tasks: all\n");
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 2u);
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), kTaskB + ": add version 1\n");

  m_api.unlist(kTaskB);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(run_cycle(run, PassMode::apply).commits(), 0u);
  EXPECT_TRUE(std::filesystem::exists(m_dir / "mirror/tasks" / kTaskB / "task.ts"));
  EXPECT_EQ(logged("task " + kTaskB + ": no longer listed by the API; keeping its files"), 1u) << "reported once";
}

TEST_F(CycleTest, PruneDeletesTasksThatLeaveTheListInACommitSayingWhy) {
  m_repo_extra = ", prune: true";
  Runtime run = runtime("tasks: all\n");
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 2u);
  m_api.unlist(kTaskB);
  PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_FALSE(std::filesystem::exists(m_dir / "mirror/tasks" / kTaskB));
  EXPECT_EQ(git_out({"log", "-1", "--format=%B"}),
            kTaskB + ": delete (no longer listed by the API)\n\nTask-Id: " + kTaskB + "\n\n");
  EXPECT_TRUE(test::repository_consistent(m_dir / "mirror"));
}

TEST_F(CycleTest, SoftDeletedTasksInTheListAreRecordedAsDeletions) {
  Runtime run = runtime("tasks: all\n");
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 2u);
  test::FakeVersion deleted;
  deleted.task_id = kTaskB;
  deleted.version = "2";
  deleted.deleted = true;
  m_api.set_version(deleted);
  PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), kTaskB + ": delete (deleted upstream)\n");
}

TEST_F(CycleTest, AHookRunsAfterEachCommitWithItsEnvironment) {
  const auto out = m_dir / "hook.log";
  Runtime run =
      runtime("hooks:\n  on_change: [/bin/sh, -c, 'echo \"$TASKSYNC_TASK_ID $TASKSYNC_VERSION $TASKSYNC_COMMIT "
              "$TASKSYNC_REPO\" >> " +
              out.string() + "']\ntasks: [" + kTaskA + "]\n");
  PassReport report = run_cycle(run, PassMode::apply);
  ASSERT_EQ(report.commits(), 1u);
  run.memory->hooks.wait_for_started({});
  EXPECT_EQ(test::read_text(out),
            kTaskA + " 1 " + report.outcomes[0].commit_id + " " + (m_dir / "mirror").string() + "\n");
  EXPECT_EQ(run_cycle(run, PassMode::apply).commits(), 0u);
  run.memory->hooks.wait_for_started({});
  EXPECT_EQ(test::read_text(out),
            kTaskA + " 1 " + report.outcomes[0].commit_id + " " + (m_dir / "mirror").string() + "\n")
      << "no commit, no hook";
}

TEST_F(CycleTest, AFailingHookNeverBlocksSyncing) {
  Runtime run = runtime("hooks:\n  on_change: [/bin/false]\ntasks: [" + kTaskA + ", " + kTaskB + "]\n");
  PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 2u);
  EXPECT_EQ(report.failures(), 0u);
  run.memory->hooks.wait_for_started({});
  EXPECT_EQ(logged("hook /bin/false exited with status 1"), 2u);
}

TEST_F(CycleTest, AHangingHookNeitherHoldsUpThePassNorOutlivesTheRuntime) {
  const auto pid_file = m_dir / "hook.pid";
  pid_t hook = 0;
  {
    Runtime run = runtime("hooks:\n  on_change: [/bin/sh, -c, 'echo $$ > " + pid_file.string() +
                          "; exec sleep 100']\n  timeout_seconds: 30\ntasks: [" + kTaskA + ", " + kTaskB + "]\n");
    EXPECT_EQ(run_cycle(run, PassMode::apply).commits(), 2u);
    ASSERT_TRUE(test::wait_until([&] { return !test::read_text(pid_file).empty(); }, std::chrono::seconds(20)));
    hook = std::stoi(test::read_text(pid_file));
    EXPECT_TRUE(test::process_running(hook)) << "the pass waited for its hook";
  }
  EXPECT_FALSE(test::process_running(hook)) << "the hook outlived the runtime that started it";
}
