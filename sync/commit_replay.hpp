#pragma once

#include <git2.h>

#include <optional>
#include <vector>

#include "git_handles.hpp"
#include "result.hpp"

namespace tasksync {

// Commits reachable from `tip` but not from `hidden` (nullopt: none hidden), oldest first.
Result<std::vector<git_oid>> commits_between(git_repository *repo, const git_oid &tip,
                                             const std::optional<git_oid> &hidden);

// The tree of the commit `commit_id`.
Result<TreePtr> commit_tree(git_repository *repo, const git_oid &commit_id);

// Commit `id` rebuilt on top of `base_id`: each task directory (or file outside tasks/) that
// `id` changed takes its content from `id`, everything else stays as in `base_id`; same author,
// message and committer name, committed now. nullopt when it would change nothing there.
Result<std::optional<git_oid>> replay_commit(git_repository *repo, const git_oid &id, const git_oid &base_id);

} // namespace tasksync
