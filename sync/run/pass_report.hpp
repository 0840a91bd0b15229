#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "config/config.hpp"
#include "render/commit_message.hpp"
#include "render/file_change.hpp"

namespace tasksync {

// apply commits changes; dry_run only compares (the mirror may be read-only).
enum class PassMode { apply, dry_run };

// What one pass did, or would do, for one task.
struct TaskOutcome {
  TaskEntry task;
  ChangeKind change = ChangeKind::unchanged;
  std::string version;                   // the API's version, when fetched
  std::string commit_id;                 // set when a commit was made
  std::string error;                     // set when the task failed; names the reason
  std::optional<FetchError> fetch_error; // set when the failure was the fetch's
  double fetch_seconds = 0;              // time the API took to answer
  std::vector<FileChange> changes;       // dry runs: what the commit would change
  /// A version committed before `version` to fill a gap (in a dry run, one that would be).
  struct Filled {
    std::string version;
    std::string commit_id; // empty in a dry run
  };
  std::vector<Filled> filled;           // ascending
  std::vector<std::string> unavailable; // versions of the gap that could not be had
  std::string rollback_from;            // set: `version` rolled back from this one
  bool rewritten = false;               // `version` is HEAD's number with other content

  // True when the task could not be synced.
  bool failed() const { return !error.empty(); }
};

// What the end of a pass did, or would do, to one task's draft branch.
struct DraftChange {
  enum class Kind { added, updated, removed };
  Kind kind = Kind::added;
  std::string task_id;
  std::string ref;                 // the draft branch's full name
  std::string commit_id;           // its new commit; empty when removed, and in dry runs
  std::vector<FileChange> changes; // dry runs: the draft against HEAD
};

// "draft-added", "draft-updated" or "draft-removed".
const char *to_string(DraftChange::Kind kind);

// What a pass found of drafts (repo.drafts).
struct DraftReport {
  bool known = false;                      // the draft branches were looked at this pass
  std::vector<DraftChange> changes;        // in task order
  std::size_t pending = 0;                 // draft branches after the pass
  std::optional<long long> oldest_updated; // the oldest pending draft's updatedAt, in Unix seconds
  std::size_t failures = 0;                // drafts that could not be read or recorded (each logged)
};

// What a cycle's push (repo.push) did: there was nothing the remote lacked, it published the
// branch, or it failed.
enum class PushOutcome { nothing, ok, failed };

// The outcome of one pass over all configured tasks.
struct PassReport {
  std::vector<TaskOutcome> outcomes;   // in config order
  bool api_key_rejected = false;       // a 401/403 ended the pass early
  bool interrupted = false;            // a stop request ended the pass early
  std::vector<std::string> problems;   // failures of the pass as a whole: task list, index, push
  std::optional<std::size_t> unpushed; // with repo.push: commits the remote does not have yet
  std::optional<PushOutcome> push;     // with repo.push: what this cycle's push did
  std::string push_error;              // with PushOutcome::failed: why (also one of `problems`)
  std::string record_error;            // the pass's commits could not be recorded (also one of `problems`)
  std::size_t list_contradictions = 0; // tasks whose /latest disagreed with the task list
  DraftReport drafts;                  // with repo.drafts: the draft branches
  bool list_incomplete = false;        // with `tasks: all`, the read of the task list may have lacked tasks

  // Number of tasks that failed.
  std::size_t failures() const;
  // Number of commits made, those that filled gaps included.
  std::size_t commits() const;
  // True when the cycle's push was tried and failed.
  bool push_failed() const { return push == PushOutcome::failed; }
  // "3 tasks ok, 1 failed, 2 commits", then ", push failed" and ", N not yet pushed" when so.
  std::string counts() const;
};

} // namespace tasksync
