#pragma once

#include <algorithm>
#include <string>

#include "base/git_handles.hpp"
#include "base/result.hpp"
#include "base/text.hpp"
#include "config/config.hpp"
#include "pack/tasks_tree.hpp"

// Small helpers shared by the files that implement Mirror (git/mirror_*.cpp), and no others.
namespace tasksync::mirror_detail {

// "refs/heads/<repo.branch>".
inline std::string branch_ref(const RepoSettings &settings) { return "refs/heads/" + settings.branch; }

// The entry of `entries` called `name`, or end().
template <typename Entries> auto find_named(const Entries &entries, const std::string &name) {
  return std::find_if(entries.begin(), entries.end(), [&](const auto &entry) { return entry.name == name; });
}

// True when `entry` of tasks/ is a task's directory: a tree named by a task ID. Anything else
// under tasks/ (a person's README or docs/) is never taken for a task, pruned or restored.
inline bool is_task_directory(const TasksTree::Entry &entry) {
  return entry.mode == GIT_FILEMODE_TREE && is_task_id(entry.name);
}

} // namespace tasksync::mirror_detail
