#include "render/commit_message.hpp"

#include "base/log.hpp"
#include "base/url_userinfo.hpp"

namespace tasksync {
namespace {

// A value as one line of the message: whatever a label (a name from the config or the API, a
// directory's name) or a trailer holds, it can neither end its line, and so forge a trailer of its
// own, nor carry a URL's secret into the history.
std::string one_line(std::string_view value) { return escape_controls(redact_url_userinfo(value)); }

} // namespace

const char *to_string(ChangeKind kind) {
  switch (kind) {
  case ChangeKind::unchanged: return "unchanged";
  case ChangeKind::added: return "added";
  case ChangeKind::updated: return "updated";
  case ChangeKind::deleted: return "deleted";
  }
  return "unchanged";
}

std::string commit_message(ChangeKind kind, const CommitInfo &info) {
  std::string subject = one_line(info.label) + ": ";
  switch (kind) {
  case ChangeKind::added: subject += "add version " + one_line(info.version); break;
  case ChangeKind::deleted:
    subject += info.unlisted ? "delete (no longer listed by the API)" : "delete (deleted upstream)";
    break;
  case ChangeKind::updated:
  case ChangeKind::unchanged:
    if (!info.rollback_from.empty())
      subject += "roll back to version " + one_line(info.version) + " (was " + one_line(info.rollback_from) + ")";
    else if (info.rewritten)
      subject += "version " + one_line(info.version) + " changed upstream without a new version number";
    else
      subject += "update to version " + one_line(info.version);
    break;
  }
  std::string message = subject + "\n\nTask-Id: " + one_line(info.task_id) + "\n";
  if (!info.version.empty()) message += "Task-Version: " + one_line(info.version) + "\n";
  if (!info.updated_at.empty()) message += "Task-Updated-At: " + one_line(info.updated_at) + "\n";
  if (kind == ChangeKind::deleted) return message;
  if (!info.rollback_from.empty()) message += "Task-Rollback-From: " + one_line(info.rollback_from) + "\n";
  if (info.rewritten) message += "Task-Anomaly: version-rewritten\n";
  if (!info.unavailable.empty()) {
    std::string versions;
    for (const std::string &version : info.unavailable)
      versions += (versions.empty() ? "" : " ") + one_line(version);
    message += "Task-Versions-Unavailable: " + versions + "\n";
  }
  return message;
}

std::string draft_commit_message(const DraftInfo &info) {
  std::string message =
      one_line(info.label) + ": " +
      (info.base_version.empty() ? "draft of a new task" : "draft based on version " + one_line(info.base_version)) +
      "\n\nTask-Id: " + one_line(info.task_id) + "\nTask-Draft-Id: " + one_line(info.draft_id) + "\n";
  if (!info.base_version.empty()) message += "Task-Draft-Base: " + one_line(info.base_version) + "\n";
  if (!info.updated_at.empty()) message += "Task-Updated-At: " + one_line(info.updated_at) + "\n";
  if (info.healed) message += "Task-Healed: true\n";
  return message;
}

} // namespace tasksync
