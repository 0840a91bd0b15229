#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "git/mirror.hpp"
#include "pack/tasks_tree.hpp"
#include "run/task_list.hpp"

namespace tasksync {

// What HEAD's files say of each task's version, as the list's digests say it (version,
// language, the code's and the canonical browserConfiguration's blob ids), remembered by the
// directory's tree id: a daemon's passes read a task.json from HEAD only when its directory
// changed. Used from one thread.
class HeadDigests {
public:
  // The digest of the task directory tree `directory` of `task_id`; nullopt when it is not
  // exactly a code file and a task.json that says its version.
  std::optional<ListedDigest> of(const git_oid &directory, const std::string &task_id, const Mirror &mirror);

  // Forgets the directories not asked about since the last call (call once a pass), so what is
  // remembered is bounded by the tasks of one pass.
  void end_pass();

private:
  using Digests = std::unordered_map<std::string, std::optional<ListedDigest>>; // by raw tree id
  Digests m_current;
  Digests m_previous;
};

// True when the task list shows `entry` exactly as HEAD (`head`, HEAD's tasks/ tree) holds it,
// so that the pass need not fetch its /latest: a deleted entry with no directory, or a latest
// version whose number, language, code bytes and canonical browserConfiguration are those of
// HEAD's files. Anything else, a missing or unreadable field included, is false: the list is a
// hint that can save a request, never what is written.
bool list_shows_head(const ListEntry &entry, const TasksTree &head, const Mirror &mirror, HeadDigests &digests);

} // namespace tasksync
