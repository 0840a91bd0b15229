#pragma once

#include "git/mirror.hpp"
#include "pack/tasks_tree.hpp"
#include "run/task_list.hpp"

namespace tasksync {

// True when the task list shows `entry` exactly as HEAD (`head`, HEAD's tasks/ tree) holds it,
// so that the pass need not fetch its /latest: a deleted entry with no directory, or a latest
// version whose number, language, code bytes and canonical browserConfiguration are those of
// HEAD's files (the directory holds just the code file and task.json). Anything else, a missing
// or unreadable field included, is false: the list is a hint that can save a request, never
// what is written.
bool list_shows_head(const ListEntry &entry, const TasksTree &head, const Mirror &mirror);

} // namespace tasksync
