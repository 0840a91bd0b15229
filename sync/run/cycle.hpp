#pragma once

#include <chrono>
#include <optional>
#include <stop_token>

#include "run/pass_report.hpp"
#include "run/poller.hpp"
#include "run/runtime.hpp"

namespace tasksync {

// One cycle as the daemon and --once run it: the task list (the team's, with `tasks: all`),
// every task fetched and committed, and tasks the API no longer lists reported (or, with
// repo.prune, deleted in a commit saying why), the pass recorded on the branch (the one place a
// pass ends), then pushed and hooks started (they run beside the next passes; see
// HookQueue::wait_for_started).
PassReport run_cycle(Runtime &runtime, PassMode mode, std::stop_token stop = {}, const Poller::Progress &progress = {},
                     std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

// A pass of `tasks` alone (those webhooks named): each fetched from /latest and committed as in
// a cycle, the pass recorded on the branch, then pushed and hooks started; no task list is read,
// nothing is removed, and it does not count towards poll.full_check_every.
PassReport run_task_pass(Runtime &runtime, const std::vector<TaskEntry> &tasks, std::stop_token stop = {},
                         const Poller::Progress &progress = {},
                         std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

} // namespace tasksync
