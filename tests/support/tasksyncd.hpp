#pragma once

// The real tasksyncd binary in a test (tests/daemon/): the environment it runs with, one-shot
// runs held to a bound, the daemon started and stopped, and what it committed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_api.hpp"
#include "process.hpp"

namespace tasksync::test {

// The environment for tasksyncd: ANCHORBROWSER_API_KEY is `api_key`, and nothing the test runner's
// own session may have set changes what it does (a systemd credential directory, the journal
// format, an sd_notify socket, a watchdog); `changes` apply on top and win.
EnvChanges tasksyncd_environment(const std::string &api_key, const EnvChanges &changes = {});

// What a run of tasksyncd left, and how long it took. A run still going at its bound was killed:
// exit_code is then nullopt.
struct TasksyncdRun {
  std::optional<int> exit_code;
  std::string out;
  std::string err;
  std::chrono::steady_clock::duration took{};
};

// The path of the tasksyncd binary this build made.
std::string tasksyncd_binary();

// `tasksyncd ARGS...` (the binary this build made) run to its end, or killed after `bound`.
TasksyncdRun run_tasksyncd(const std::vector<std::string> &args, const EnvChanges &env,
                           std::chrono::milliseconds bound = std::chrono::seconds(60));

// `tasksyncd ARGS...` run to its end on a terminal: its stdout and stderr are a pseudo-terminal
// (made by script(1) of util-linux), and `out` holds what it wrote there, both streams mixed,
// each "\n" shown by the terminal as "\r\n"; `err` is empty.
TasksyncdRun run_tasksyncd_on_terminal(const std::vector<std::string> &args, const EnvChanges &env,
                                       std::chrono::milliseconds bound = std::chrono::seconds(60));

// `tasksyncd ARGS...` started in the background (the daemon, without --once).
std::unique_ptr<ChildProcess> start_tasksyncd(const std::vector<std::string> &args, const EnvChanges &env);

// Sends SIGTERM and checks what tasksyncd(8) (SIGNALS) promises of a stop: exit 0 within 5 s, by the normal
// path (the service's "stopping" line, logged once the last pass is recorded).
// Use as EXPECT_TRUE(test::stop_tasksyncd(*daemon)).
::testing::AssertionResult stop_tasksyncd(ChildProcess &daemon);

// Passes `daemon` has finished so far: its "pass finished in" log lines.
std::size_t passes_finished(const ChildProcess &daemon);

// Commits reachable from `rev` in `repo`; 0 when there are none (or no repository yet).
int count_commits(const std::filesystem::path &repo, const std::string &rev = "HEAD");
// Waits until `rev` in `repo` has at least `count` commits; false when `timeout` passes first.
bool wait_for_commits(const std::filesystem::path &repo, int count, std::chrono::milliseconds timeout,
                      const std::string &rev = "HEAD");

// Version `version` of task `id`, with code that names both: "// <id> version <version>\n".
FakeVersion task_version(const std::string &id, const std::string &version = "1");

} // namespace tasksync::test
