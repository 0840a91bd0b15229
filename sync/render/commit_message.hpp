#pragma once

#include <string>
#include <vector>

#include "base/timestamp.hpp"

namespace tasksync {

// What a pass did, or would do, to one task's directory.
enum class ChangeKind { unchanged, added, updated, deleted };

// "unchanged", "added", "updated" or "deleted".
const char *to_string(ChangeKind kind);

// What a commit message says about the version being recorded.
struct CommitInfo {
  std::string task_id;
  std::string label;                      // configured name, else the task ID
  std::string version;                    // e.g. "7"
  std::string updated_at;                 // the API's updatedAt, verbatim
  Timestamp author_time;                  // updated_at, parsed: the author date
  bool unlisted = false;                  // a deletion because the API no longer lists the task (repo.prune)
  std::string rollback_from{};            // set: `version` is lower than this one, which HEAD held
  bool rewritten = false;                 // `version` is HEAD's number with other content
  std::vector<std::string> unavailable{}; // versions skipped before this one: listed, but gone
};

// "<label>: add version <v>" (or update/delete; "roll back to version <v> (was <u>)" and "version
// <v> changed upstream without a new version number" for those moves), a blank line, then the
// Task-Id, Task-Version and Task-Updated-At trailers (those known) and Task-Rollback-From,
// Task-Anomaly: version-rewritten or Task-Versions-Unavailable (space-separated) when they apply,
// ending in a newline. The label and
// every trailer value are one line each: a control character in them (a line break above all) is
// written escaped as \xNN (escape_controls), and a URL's userinfo as <redacted>
// (redact_url_userinfo), so no name can forge a trailer or put a secret in the history.
std::string commit_message(ChangeKind kind, const CommitInfo &info);

// What a draft branch's commit says about the draft it holds.
struct DraftInfo {
  std::string task_id;
  std::string label;        // as for CommitInfo
  std::string draft_id;     // the draft's own `id`
  std::string base_version; // the version HEAD holds for the task; empty: none (a new task)
  std::string updated_at;   // the draft's updatedAt, verbatim
  bool healed = false;      // a verified task.healed event named this draft
};

// "<label>: draft based on version <v>" (or "<label>: draft of a new task" without a base), a
// blank line, then the Task-Id, Task-Draft-Id, Task-Draft-Base (with a base), Task-Updated-At and,
// for a healed draft, Task-Healed: true trailers; one line each, as commit_message() writes them.
std::string draft_commit_message(const DraftInfo &info);

} // namespace tasksync
