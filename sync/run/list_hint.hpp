#pragma once

#include "api/listing.hpp"
#include "git/mirror.hpp"
#include "pack/tasks_tree.hpp"

namespace tasksync {

// True when the task list shows `entry` exactly as HEAD (`head`, HEAD's tasks/ tree) holds it,
// so that the pass need not fetch its /latest: a deleted entry with no directory, or a latest
// version whose number, code bytes and canonical browserConfiguration, rendered with what only a
// version has (its dates and description) taken from HEAD's task.json, make HEAD's directory
// exactly. Anything else, a missing or unreadable field included, is false: the list is a hint
// that can save a request, never what is written.
bool list_shows_head(const ListedTask &entry, const TasksTree &head, const Mirror &mirror);

} // namespace tasksync
