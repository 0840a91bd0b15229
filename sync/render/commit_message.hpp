#pragma once

#include <string>

#include "base/timestamp.hpp"

namespace tasksync {

// What a pass did, or would do, to one task's directory.
enum class ChangeKind { unchanged, added, updated, deleted };

// "unchanged", "added", "updated" or "deleted".
const char *to_string(ChangeKind kind);

// What a commit message says about the version being recorded.
struct CommitInfo {
  std::string task_id;
  std::string label;      // configured name, else the task ID
  std::string version;    // e.g. "7"
  std::string updated_at; // the API's updatedAt, verbatim
  Timestamp author_time;  // updated_at, parsed: the author date
  bool unlisted = false;  // a deletion because the API no longer lists the task (repo.prune)
};

// "<label>: add version <v>" (or update/delete), a blank line, then the Task-Id,
// Task-Version and Task-Updated-At trailers (those known), ending in a newline.
std::string commit_message(ChangeKind kind, const CommitInfo &info);

} // namespace tasksync
