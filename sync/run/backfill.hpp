#pragma once

#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "config/config.hpp"
#include "git/mirror.hpp"
#include "run/task_names.hpp"

namespace tasksync {

// What a history import did.
struct BackfillReport {
  std::size_t tasks_imported = 0;
  std::size_t commits = 0;
  std::vector<std::string> failures;     // one line per task that could not be imported
  std::vector<std::string> failed_tasks; // their IDs
};

// Called before each version is committed: task n of N, version k of K (1-based).
using BackfillProgress = std::function<void(std::size_t task, std::size_t tasks, const TaskEntry &entry,
                                            std::size_t version, std::size_t versions)>;

// Imports the history from before the mirror existed: for each task whose directory HEAD does
// not have yet, every published version (drafts skipped), oldest first (by createdAt, then by
// number), each as its own commit in the normal format, dated with that version. A task's
// versions are all fetched before the first of them is committed, so a failure imports none of
// them; tasks already mirrored are skipped, so a second run adds nothing. Commit subjects take
// their names from `names`; the pass's recording (finish_pass) is done here, once.
BackfillReport backfill(const std::vector<TaskEntry> &tasks, ApiClient &api, Mirror &mirror, TaskNames &names,
                        std::stop_token stop = {}, const BackfillProgress &progress = {});

// Leaves `task_ids` out of the passes `config` drives (out of `tasks`, into `tasks_exclude`): a task
// whose backfill failed is not mirrored by the pass after it either, so that it stays a task a
// later --backfill imports whole.
void hold_back(Config &config, const std::vector<std::string> &task_ids);

} // namespace tasksync
