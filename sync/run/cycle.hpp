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
// repo.prune, deleted in a commit saying why), with repo.drafts every task's draft read on the
// run's first pass, on full checks and when RunMemory::every_draft_wanted (at most once per
// poll.interval), the pass recorded on the branch (the one place a pass ends) and the draft
// branches after it, then pushed and hooks started (they run beside the next passes; see
// HookQueue::wait_for_started).
PassReport run_cycle(Runtime &runtime, PassMode mode, std::stop_token stop = {}, const Poller::Progress &progress = {},
                     std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

// A pass of `tasks` alone (those webhooks named): each fetched from /latest and committed as in
// a cycle, the drafts of `drafts_of` read (with repo.drafts; those task.healed events named) and
// the draft branches brought up to date, the pass recorded on the branch, then pushed and hooks
// started; no task list is read, nothing is removed, and it does not count towards
// poll.full_check_every.
PassReport run_task_pass(Runtime &runtime, const std::vector<TaskEntry> &tasks,
                         const std::vector<TaskEntry> &drafts_of = {}, std::stop_token stop = {},
                         const Poller::Progress &progress = {},
                         std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

} // namespace tasksync
