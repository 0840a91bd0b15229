#pragma once

#include <git2.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/git_handles.hpp"
#include "base/result.hpp"
#include "secrets/signing_key.hpp"

namespace tasksync {

// Commits reachable from `tip` but not from `hidden` (nullopt: none hidden), oldest first.
Result<std::vector<git_oid>> commits_between(git_repository *repo, const git_oid &tip,
                                             const std::optional<git_oid> &hidden);

// The tree of the commit `commit_id`.
Result<TreePtr> commit_tree(git_repository *repo, const git_oid &commit_id);

/// How a replay signs: with `key`, the rebuilt commits whose author email is `author_email` (the
/// mirror's own). A person's commit is theirs to sign: it is rebuilt unsigned.
struct ReplaySigning {
  const SigningKey *key = nullptr; // nullptr: nothing is signed
  std::string author_email;
};

// Commit `id` rebuilt on top of `base_id`: each task directory (or file outside tasks/) that
// `id` changed takes its content from `id`, everything else stays as in `base_id`; same author,
// message and committer name, committed now, and signed as `signing` says. nullopt when it would
// change nothing there.
Result<std::optional<git_oid>> replay_commit(git_repository *repo, const git_oid &id, const git_oid &base_id,
                                             const ReplaySigning &signing);

/// Commits replayed by replay_commits(), one on top of the other.
struct ReplayedCommits {
  git_oid tip{};                               // the last rebuilt commit; the base when none changed anything
  std::vector<std::optional<git_oid>> rebuilt; // per commit replayed: its new id; nullopt when dropped
                                               // (it would change nothing on the new base)
  // How many commits were rebuilt rather than dropped.
  std::size_t count() const;
};

/// Commits a replay took off a branch: old id (hex) -> the id of its rebuilt copy, or nullopt
/// when it was dropped (the new base already held its content).
using ReplacedCommits = std::map<std::string, std::optional<std::string>>;

// Adds what `replayed` made of `commits` (the list given to replay_commits()) to `replaced`.
void note_replaced(ReplacedCommits &replaced, const std::vector<git_oid> &commits, const ReplayedCommits &replayed);

// What commit `id` is now after the replays in `replaced`, followed to the end (a commit may be
// replayed again and again): `id` itself when never replaced; nullopt when dropped.
std::optional<std::string> current_id(const ReplacedCommits &replaced, std::string id);

// `commits` (oldest first) rebuilt by replay_commit(), the first on `base`, each next one on the
// last rebuilt; signed as `signing` says.
Result<ReplayedCommits> replay_commits(git_repository *repo, const std::vector<git_oid> &commits, const git_oid &base,
                                       const ReplaySigning &signing);

// True when HEAD is the symbolic ref `branch_ref` (e.g. "refs/heads/main"): the work tree and
// index are a checkout of that branch. False when someone checked out another branch or
// detached HEAD; then they are theirs, and only the branch itself may be moved.
bool checkout_follows(git_repository *repo, const std::string &branch_ref);

} // namespace tasksync
