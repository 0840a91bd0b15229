#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <vector>

#include "config/config.hpp"
#include "git/mirror.hpp"
#include "run/fetch_pool.hpp"
#include "run/pass_report.hpp"
#include "run/task_names.hpp"

namespace tasksync {

// The repository side of a pass: takes the fetch pool's answers in config order and applies
// them to the mirror one at a time, so history is deterministic whatever answers first. It
// builds the pass's commits; recording them (Mirror::finish_pass) is the caller's, once a pass.
class Poller {
public:
  // Called on the applying thread after each task (the service pings the watchdog from it).
  using Progress = std::function<void(const TaskOutcome &)>;

  // Applies what `pool` fetches; commit subjects take their names from `names`. Both must
  // outlive the poller.
  Poller(FetchPool &pool, TaskNames &names);

  // One pass over `tasks`. A failing task is logged with its ID and reason and does not stop
  // the others; a rejected API key skips the rest; `stop` abandons fetches in flight and
  // returns after the task being applied, leaving the repository consistent.
  // Retries stop at `give_up_at` (the next pass's start), so one pass never runs into the next.
  PassReport run_pass(const std::vector<TaskEntry> &tasks, Mirror &mirror, PassMode mode, std::stop_token stop = {},
                      const Progress &progress = {},
                      std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

private:
  void apply(const TaskEntry &task, const Fetched &fetched, Mirror &mirror, PassMode mode, TaskOutcome &outcome);

  FetchPool &m_pool;
  TaskNames &m_names;
};

} // namespace tasksync
