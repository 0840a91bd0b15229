#pragma once

#include <set>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "git/mirror.hpp"
#include "run/pass_report.hpp"
#include "run/task_names.hpp"

namespace tasksync {

// A task's draft as a draft-reading pass found it: none (404), a draft, or why it is unknown.
struct DraftRead {
  TaskEntry task;
  Result<std::optional<TaskVersion>, FetchError> draft;
};

// Brings the draft branches (refs/heads/<repo.drafts_prefix><task ID>) up to date at the end of
// a pass, after its commits are on the branch. Each draft in `reads` becomes, stays or stops being
// its task's branch: the branch tip plus one commit that writes the draft's files, rendered as a
// version is with "version": "draft"; no branch when its content equals HEAD's, or when there is
// no draft; an unreadable draft leaves its branch as it is. Every other draft branch not built on
// the current tip is rebuilt on it from its own files (or removed once HEAD holds them). A draft
// whose `id` is in `healed` (or whose branch said so for the same draft) is marked Task-Healed.
// Commit subjects label a task as `names` does, with the name `configured` gives it, if any.
// In a dry run nothing is written and the changes carry their diff against HEAD.
DraftReport update_draft_branches(Mirror &mirror, const RepoSettings &settings, const TaskNames &names,
                                  const std::vector<TaskEntry> &configured, const std::vector<DraftRead> &reads,
                                  const std::set<std::string> &healed, PassMode mode);

// Adds to `into` (a pass's draft report) what a later update of the same pass did: the later
// state (pending, oldest) and each task's last change (added then rebuilt stays added; added
// then removed is no change).
void merge_draft_reports(DraftReport &into, DraftReport later);

} // namespace tasksync
