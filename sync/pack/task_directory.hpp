#pragma once

#include <git2.h>

#include "render/render.hpp"

namespace tasksync {

// The id of the tree that `tasks/<taskId>/` has when it holds exactly `snapshot`'s files, each a
// regular file: equal to HEAD's entry for the task means the task is unchanged. Pure, no I/O.
git_oid directory_id(const Snapshot &snapshot);

} // namespace tasksync
