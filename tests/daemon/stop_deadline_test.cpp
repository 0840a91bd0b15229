// The daemon's stop deadline (daemon/stop_deadline.cpp) on its own, in this process: a unit test,
// unlike the rest of tests/daemon/, which runs the real binary.
#include "stop_deadline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "process.hpp"

using namespace std::chrono_literals;

namespace {

// How many threads this process has.
std::size_t threads() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto &entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++count;
  return count;
}

} // namespace

TEST(StopDeadline, AStopPastItsBoundIsLoggedWithTheStepStillRunningAndExitsWithItsCode) {
  // The child must not inherit another test's threads in the middle of their work.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        tasksyncd::StopDeadline deadline(1s, 4);
        deadline.step("closing the first thing");
        deadline.step("closing a connection that never closes");
        for (;;)
          ::pause(); // the step hangs: only the deadline can end this process
      },
      ::testing::ExitedWithCode(4),
      "error: stop did not finish within 1 s; still running: closing a connection that never closes; "
      "exiting with code 4\n");
}

TEST(StopDeadline, AStopWithinItsBoundEndsTheWatchAndLogsNothing) {
  std::vector<std::string> lines;
  tasksync::log::set_sink([&lines](std::string_view line) { lines.emplace_back(line); });
  const std::size_t before = threads();
  const auto started = std::chrono::steady_clock::now();
  {
    tasksyncd::StopDeadline deadline(2s, 4);
    EXPECT_EQ(threads(), before + 1) << "no thread watches the stop";
    deadline.step("closing something quick");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "disarming waited for the bound";
  // The watching thread is gone, not merely left waiting: nothing can end the process any more.
  EXPECT_TRUE(tasksync::test::wait_until([&] { return threads() == before; }, 1s)) << threads() << " threads";
  tasksync::log::set_sink({});
  EXPECT_TRUE(lines.empty()) << lines.front();
}
