#pragma once

#include <git2.h>

#include <optional>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The commit the ref `name` points at; nullopt when there is no such ref (an unborn branch, a
// remote branch never fetched).
Result<std::optional<git_oid>> read_ref(git_repository *repo, const std::string &name);

/// Why swap_branch() left a branch where it was.
struct BranchNotMoved {
  bool moved_elsewhere = false; // the branch is no longer at the expected commit (someone moved or created it)
  std::string why;              // libgit2's message
};

// Points `branch_ref` at `to` only if it still points at `expected` (nullopt: only if it does not
// exist yet), as one compare-and-swap with `message` in the reflog. A lock another git process
// holds on the ref is waited out (8 attempts over about 2.5 s); a lock that outlives that was left
// by a process that died mid-update, and is removed (and logged) before the last attempt. Only
// for the process that holds the repository's instance lock.
Result<void, BranchNotMoved> swap_branch(git_repository *repo, const std::string &branch_ref,
                                         const std::optional<git_oid> &expected, const git_oid &to,
                                         const std::string &message);

// Brings the work tree and index from commit `from`'s tree to commit `to`'s. A change nobody
// committed is never overwritten: the update fails instead (GIT_CHECKOUT_SAFE).
Result<void> check_out_change(git_repository *repo, const git_oid &from, const git_oid &to);

} // namespace tasksync
