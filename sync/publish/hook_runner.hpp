#pragma once

#include <filesystem>
#include <stop_token>
#include <string>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tasksync {

// What a hook is told about a commit: one on the branch, or a draft branch's (added or updated,
// or removed: no commit).
struct HookEvent {
  std::string task_id;
  std::string version;   // "draft" for a draft branch's commit; empty for a removed draft or task
  std::string commit_id; // empty for a removed draft
  std::filesystem::path repo;
  std::string ref; // the full ref the commit is on (refs/heads/...), or the draft branch deleted
};

// Runs hooks.on_change for one commit: the argv as is (no shell; argv[0] searched in PATH), in an
// environment of its own: the daemon's PATH, HOME, LANG, LC_ALL and LC_* and the variables named
// in hooks.pass_env (those that are set), plus TASKSYNC_TASK_ID, TASKSYNC_VERSION, TASKSYNC_COMMIT,
// TASKSYNC_REPO and TASKSYNC_REF; nothing else. stdin is /dev/null, stdout and stderr are logged line by line
// (with the daemon's secrets masked, see log::add_secret). The hook ends when its process exits:
// what it wrote by then is logged, and children it left behind run on unwaited for (and
// unkilled), whatever output they hold open. It runs in a process group of its own, killed
// (SIGTERM, then SIGKILL) when the hook outlives hooks.timeout or when `stop` is requested.
// A failing hook is an error value, never an exception.
Result<void> run_hook(const HookSettings &hook, const HookEvent &event, std::stop_token stop = {});

} // namespace tasksync
