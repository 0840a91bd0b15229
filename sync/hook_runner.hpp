#pragma once

#include <filesystem>
#include <string>

#include "config.hpp"
#include "result.hpp"

namespace tasksync {

// What a hook is told about a commit.
struct HookEvent {
  std::string task_id;
  std::string version;
  std::string commit_id;
  std::filesystem::path repo;
};

// Runs hooks.on_change for one commit: the argv as is (no shell; argv[0] searched in PATH), with
// TASKSYNC_TASK_ID, TASKSYNC_VERSION, TASKSYNC_COMMIT and TASKSYNC_REPO added to the daemon's
// environment, stdin from /dev/null, its stdout and stderr logged line by line, and killed when it
// outlives hooks.timeout. A failing hook is an error value, never an exception.
Result<void> run_hook(const HookSettings &hook, const HookEvent &event);

} // namespace tasksync
