#pragma once

#include <filesystem>
#include <string>

#include "config/config.hpp"
#include "base/result.hpp"

namespace tasksync {

// What a hook is told about a commit.
struct HookEvent {
  std::string task_id;
  std::string version;
  std::string commit_id;
  std::filesystem::path repo;
};

// Runs hooks.on_change for one commit: the argv as is (no shell; argv[0] searched in PATH), in an
// environment of its own: the daemon's PATH, HOME, LANG, LC_ALL and LC_* and the variables named
// in hooks.pass_env (those that are set), plus TASKSYNC_TASK_ID, TASKSYNC_VERSION, TASKSYNC_COMMIT
// and TASKSYNC_REPO; nothing else. stdin is /dev/null, stdout and stderr are logged line by line
// (with the daemon's secrets masked, see log::add_secret), and the hook is killed when it outlives
// hooks.timeout. A failing hook is an error value, never an exception.
Result<void> run_hook(const HookSettings &hook, const HookEvent &event);

} // namespace tasksync
