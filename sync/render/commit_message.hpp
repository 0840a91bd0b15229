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
// Task-Version and Task-Updated-At trailers (those known), ending in a newline. The label and
// every trailer value are one line each: a control character in them (a line break above all) is
// written escaped as \xNN (escape_controls), and a URL's userinfo as <redacted>
// (redact_url_userinfo), so no name can forge a trailer or put a secret in the history.
std::string commit_message(ChangeKind kind, const CommitInfo &info);

} // namespace tasksync
