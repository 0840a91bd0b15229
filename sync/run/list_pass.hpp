#pragma once

#include <cstddef>
#include <vector>

#include "git/mirror.hpp"
#include "pack/tasks_tree.hpp"
#include "run/list_hint.hpp"
#include "run/pass_report.hpp"
#include "run/task_list.hpp"

namespace tasksync {

// For each of `tasks`, whether `listing` shows it exactly as HEAD holds it (list_shows_head),
// so that the pass need not fetch its /latest. Tasks the listing lacks are not.
std::vector<bool> unchanged_by_list(const std::vector<TaskEntry> &tasks, const TaskListing &listing,
                                    const TasksTree &head, const Mirror &mirror, HeadDigests &digests);

// The pass's outcomes in config order: `fetched` (one per task not `unchanged`, in order; fewer
// when the pass ended early) and, for the unchanged ones, an outcome saying so with the listed
// version.
std::vector<TaskOutcome> in_config_order(const std::vector<TaskEntry> &tasks, const std::vector<bool> &unchanged,
                                         std::vector<TaskOutcome> fetched, const TaskListing &listing);

// The tasks whose /latest contradicted the list, each logged at debug level: a version other
// than the listed one, or (on a pass that fetched every task, `unchanged` then saying what the
// list showed) a change the list did not show.
std::size_t list_contradictions(const std::vector<TaskOutcome> &outcomes, const std::vector<bool> &unchanged,
                                const TaskListing &listing);

} // namespace tasksync
