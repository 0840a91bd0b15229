#pragma once

#include <string>
#include <vector>

#include "api_client.hpp"
#include "commit_message.hpp"
#include "config.hpp"
#include "mirror.hpp"

namespace tasksync {

// What one pass did, or would do, for one task.
struct TaskOutcome {
  TaskEntry task;
  ChangeKind change = ChangeKind::unchanged;
  std::string version;   // the API's version, when fetched
  std::string commit_id; // set when a commit was made
  std::string error;     // set when the task failed; names the reason

  // True when the task could not be synced.
  bool failed() const { return !error.empty(); }
};

// The outcome of one pass over all configured tasks.
struct PassReport {
  std::vector<TaskOutcome> outcomes; // in config order
  bool api_key_rejected = false;     // a 401/403 ended the pass early
  std::string repository_error;      // set when the pass's index could not be written

  // Number of tasks that failed.
  std::size_t failures() const;
  // Number of commits made.
  std::size_t commits() const;
};

// apply commits changes; dry_run only compares (the mirror may be read-only).
enum class PassMode { apply, dry_run };

// Fetches every task, renders it and applies it to the mirror in config order. A failing task
// is logged with its ID and reason and does not stop the others; a rejected API key does.
PassReport run_pass(const std::vector<TaskEntry> &tasks, ApiClient &api, Mirror &mirror, PassMode mode);

} // namespace tasksync
