#include "render/commit_message.hpp"

namespace tasksync {

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
  std::string subject = info.label + ": ";
  switch (kind) {
  case ChangeKind::added: subject += "add version " + info.version; break;
  case ChangeKind::deleted:
    subject += info.unlisted ? "delete (no longer listed by the API)" : "delete (deleted upstream)";
    break;
  case ChangeKind::updated:
  case ChangeKind::unchanged: subject += "update to version " + info.version; break;
  }
  std::string message = subject + "\n\nTask-Id: " + info.task_id + "\n";
  if (!info.version.empty()) message += "Task-Version: " + info.version + "\n";
  if (!info.updated_at.empty()) message += "Task-Updated-At: " + info.updated_at + "\n";
  return message;
}

} // namespace tasksync
