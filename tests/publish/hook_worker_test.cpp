#include "publish/hook_worker.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string task_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

class HookWorkerTest : public ::testing::Test {
public:
  HookWorkerTest() {
    log::set_level(LogLevel::info);
    log::set_journal_format(true);
    log::set_sink([this](std::string_view line) {
      std::lock_guard lock(m_mutex);
      m_lines.emplace_back(line);
    });
  }
  ~HookWorkerTest() override {
    log::set_sink({});
    log::set_journal_format(false);
  }

protected:
  // A run of `script` (with /bin/sh) for commit `commit`.
  HookRun run(const std::string &script, const std::string &commit) {
    return {HookSettings{{"/bin/sh", "-c", script}, 30s},
            HookEvent{task_id, "1", commit, m_dir.path(), "refs/heads/main"}};
  }

  // Log lines (the worker's thread writes them) that hold `text`.
  std::vector<std::string> logged(const std::string &text) {
    std::lock_guard lock(m_mutex);
    std::vector<std::string> found;
    for (const std::string &line : m_lines) {
      if (line.find(text) != std::string::npos) found.push_back(line);
    }
    return found;
  }

  test::TempDir m_dir;
  std::mutex m_mutex;
  std::vector<std::string> m_lines;
};

} // namespace

TEST_F(HookWorkerTest, AFullQueueDropsTheOldestWaitingRunWithOneWarning) {
  const auto ran = m_dir / "ran";
  const auto gate = m_dir / "gate";
  ASSERT_EQ(::mkfifo(gate.c_str(), 0600), 0);
  // Every run notes its commit; the first then waits until the test opens the gate.
  const std::string script = "echo \"$TASKSYNC_COMMIT\" >> " + ran.string() +
                             "; [ \"$TASKSYNC_COMMIT\" != first ] || read x < " + gate.string();
  HookWorker worker(3);
  worker.submit(run(script, "first"));
  ASSERT_TRUE(test::wait_until([&] { return test::read_text(ran) == "first\n"; }, 20s));
  for (const std::string commit : {"c1", "c2", "c3", "c4", "c5"})
    worker.submit(run(script, commit));
  EXPECT_EQ(logged("<4>"),
            (std::vector<std::string>{"<4>hooks: 3 hook runs already wait; dropping the oldest, task " + task_id +
                                      " commit c1, and each oldest one after it until the hooks have caught up"}));
  std::ofstream(gate) << "go\n";
  worker.wait_until_idle({});
  EXPECT_EQ(test::read_text(ran), "first\nc3\nc4\nc5\n");
  EXPECT_EQ(logged("hooks: caught up"),
            (std::vector<std::string>{"<6>hooks: caught up; 2 hook runs dropped while the queue was full"}));
  EXPECT_EQ(logged("exited with status 0").size(), 4u);
}

TEST_F(HookWorkerTest, StopKillsTheRunningHookWithItsGroupAndCountsTheRunsNotRun) {
  const std::string script = "echo $$ > " + m_dir.path().string() + "/$TASKSYNC_COMMIT.pid; sleep 100 & echo $! > " +
                             m_dir.path().string() + "/$TASKSYNC_COMMIT.child; wait";
  HookWorker worker;
  worker.submit(run(script, "first"));
  worker.submit(run(script, "second"));
  worker.submit(run(script, "third"));
  ASSERT_TRUE(test::wait_until([&] { return !test::read_text(m_dir / "first.child").empty(); }, 20s));
  const pid_t hook = std::stoi(test::read_text(m_dir / "first.pid"));
  const pid_t child = std::stoi(test::read_text(m_dir / "first.child"));

  const auto start = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(test::process_running(hook));
  EXPECT_TRUE(test::wait_until([&] { return !test::process_running(child); }, 2s))
      << "the hook's child " << child << " survived";
  EXPECT_FALSE(std::filesystem::exists(m_dir / "second.pid"));
  EXPECT_EQ(logged("<4>"),
            (std::vector<std::string>{"<4>task " + task_id + ": hook /bin/sh was killed: tasksyncd is stopping",
                                      "<4>hooks: 2 hook runs waiting not run: tasksyncd is stopping"}));
  worker.submit(run(script, "late"));
  worker.stop();
  EXPECT_FALSE(std::filesystem::exists(m_dir / "late.pid")) << "a run handed over after the stop ran";
}

TEST_F(HookWorkerTest, WaitingUntilIdleEndsWithAStop) {
  HookWorker worker;
  worker.submit(run("sleep 100", "first"));
  std::stop_source stop;
  stop.request_stop();
  const auto start = std::chrono::steady_clock::now();
  worker.wait_until_idle(stop.get_token());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}
