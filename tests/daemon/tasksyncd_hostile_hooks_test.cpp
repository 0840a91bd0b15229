// Hooks that hang, ignore the end of their run or leave children behind, against the real
// tasksyncd binary: syncing goes on beside them, a stop ends them (their whole process group)
// within its bound, and a hook ends when it exits, whatever its children hold open.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "daemon_fixture.hpp"
#include "status_clients.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-hooks-31c7";

// How many times `text` occurs in `log`.
std::size_t count_lines(const std::string &log, const std::string &text) {
  std::size_t count = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1))
    ++count;
  return count;
}

class HostileHooksTest : public test::DaemonFixture {
protected:
  HostileHooksTest() : DaemonFixture(kKey) {}
  ~HostileHooksTest() override {
    for (const pid_t pid : m_leftovers)
      ::kill(pid, SIGKILL);
    // A hook a failing test left running (its script wrote its pid to hook.pids).
    std::istringstream hooks(test::read_text(m_dir / "hook.pids"));
    for (pid_t hook = 0; hooks >> hook;) {
      if (test::process_group_running(hook)) ::kill(-hook, SIGKILL);
    }
  }

  // `count` tasks at version 1, synced every second, with /healthz served and the hook
  // `/bin/sh hook.sh` (whose text is `script`) allowed `timeout_seconds`.
  void configure(int count, const std::string &script, int timeout_seconds) {
    for (int i = 1; i <= count; ++i) {
      m_tasks.push_back(test::numbered_task_id(i));
      serve(m_tasks.back());
    }
    write_config({.timeout_seconds = 10,
                  .top = "poll:\n  interval_seconds: 1\n",
                  .rest = "http:\n  listen: 127.0.0.1:" + std::to_string(m_port) + "\nhooks:\n  on_change: [/bin/sh, " +
                          (m_dir / "hook.sh").string() + "]\n  timeout_seconds: " + std::to_string(timeout_seconds) +
                          "\n" + test::tasks_yaml(m_tasks)});
    test::write_text(m_dir / "hook.sh", script);
  }

  // The pid a hook wrote to `name` in the test's directory, once it has (0 when none came).
  pid_t wait_for_pid(const std::string &name) {
    std::string text;
    test::wait_until(
        [&] {
          text = test::read_text(m_dir / name);
          return text.find('\n') != std::string::npos;
        },
        20s);
    return text.empty() ? 0 : std::stoi(text);
  }

  std::vector<std::string> m_tasks;
  std::vector<pid_t> m_leftovers; // processes a test leaves running on purpose, killed at its end
};

} // namespace

TEST_F(HostileHooksTest, HooksHangingUntilTheirTimeoutNeitherDelayCommitsNorFailHealth) {
  configure(10, "echo $$ >> " + (m_dir / "hook.pids").string() + "\nexec sleep 100\n", 30);
  const auto daemon = start();
  ASSERT_TRUE(wait_for_commits(10, 20s)) << daemon->err();
  ASSERT_NE(wait_for_pid("hook.pids"), 0) << "no hook started:\n" << daemon->err();

  // The first hook hangs, nine wait behind it: the next change is still committed at once.
  m_api.set_version(test::task_version(m_tasks[0], "2"));
  EXPECT_TRUE(wait_for_commits(11, 10s)) << "the change waited for the hooks:\n" << daemon->err();
  // The commit is on the branch before its pass hands its hook over: the pass's end says it has.
  EXPECT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) >= 2; }, 10s)) << daemon->err();
  EXPECT_TRUE(test::wait_until([&] { return test::get_health(m_port).status == 200; }, 10s))
      << "/healthz is not ok while hooks hang:\n"
      << daemon->err();
  const pid_t hook = std::stoi(test::read_text(m_dir / "hook.pids"));
  EXPECT_TRUE(test::process_running(hook)) << "the first hook no longer runs:\n" << daemon->err();

  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_FALSE(test::process_group_running(hook)) << "the hanging hook outlived the daemon";
  EXPECT_NE(daemon->err().find("warning: hooks: 10 hook runs waiting not run: tasksyncd is stopping"),
            std::string::npos)
      << daemon->err();
}

TEST_F(HostileHooksTest, AStopKillsAHangingHookWithItsWholeProcessGroup) {
  configure(1,
            "echo $$ > " + (m_dir / "hook.pids").string() + "\nsleep 100 &\necho $! > " +
                (m_dir / "child.pid").string() + "\nwait\n",
            30);
  const auto daemon = start();
  const pid_t hook = wait_for_pid("hook.pids");
  const pid_t child = wait_for_pid("child.pid");
  ASSERT_NE(child, 0) << "the hook did not start:\n" << daemon->err();

  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_TRUE(test::wait_until([&] { return !test::process_group_running(hook); }, 2s))
      << "the hook's process group outlived the daemon (hook " << hook << ", its child " << child << ")";
  EXPECT_NE(daemon->err().find("warning: task " + m_tasks[0] + ": hook /bin/sh was killed: tasksyncd is stopping"),
            std::string::npos)
      << daemon->err();
}

TEST_F(HostileHooksTest, AHookEndsWhenItExitsAndTheChildItLeftBehindRunsOn) {
  // The background sleep holds the hook's output open for 30 s after the hook exits.
  configure(1, "echo ok\nsleep 30 &\necho $! > " + (m_dir / "child.pid").string() + "\n", 20);
  const test::TasksyncdRun run = run_mode("--once");
  const pid_t child = wait_for_pid("child.pid");
  ASSERT_NE(child, 0) << run.err;
  m_leftovers.push_back(child);

  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_LT(run.took, 10s) << "--once waited for the hook's child:\n" << run.err;
  EXPECT_NE(run.err.find("hook /bin/sh (task " + m_tasks[0] + "): ok"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("info: task " + m_tasks[0] + ": hook /bin/sh exited with status 0"), std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("timed out"), std::string::npos) << run.err;
  EXPECT_TRUE(test::process_running(child)) << "the child the hook left behind was killed";
}

TEST_F(HostileHooksTest, AReloadWhileHooksWaitNeitherLosesNorRepeatsThem) {
  const auto gate = m_dir / "gate";
  ASSERT_EQ(::mkfifo(gate.c_str(), 0600), 0);
  // The first hook holds the others back until the test opens the gate.
  configure(3,
            "echo $$ >> " + (m_dir / "hook.pids").string() + "\necho \"$TASKSYNC_COMMIT\" >> " +
                (m_dir / "ran").string() + "\n[ -e " + (m_dir / "released").string() + " ] || read x < " +
                gate.string() + "\n",
            30);
  const auto daemon = start();
  ASSERT_TRUE(test::wait_until([&] { return !test::read_text(m_dir / "ran").empty(); }, 20s)) << daemon->err();

  daemon->signal(SIGHUP);
  ASSERT_TRUE(test::wait_until([&] { return daemon->err().find("info: config reloaded") != std::string::npos; }, 10s))
      << "no reload while a hook ran:\n"
      << daemon->err();
  test::write_text(m_dir / "released", "");
  std::ofstream(gate) << "go\n";
  const std::string commits = git({"log", "--reverse", "--format=%H", "main"}).out;
  ASSERT_TRUE(test::wait_until([&] { return test::read_text(m_dir / "ran") == commits; }, 10s))
      << "hooks run: " << test::read_text(m_dir / "ran") << "commits: " << commits << daemon->err();
  // Two more passes, and no hook runs again.
  const auto passes = [&] { return count_lines(daemon->err(), "info: pass finished in"); };
  const std::size_t seen = passes();
  ASSERT_TRUE(test::wait_until([&] { return passes() >= seen + 2; }, 10s)) << daemon->err();
  EXPECT_EQ(test::read_text(m_dir / "ran"), commits) << daemon->err();
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
}
