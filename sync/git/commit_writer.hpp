#pragma once

#include <git2.h>

#include <span>
#include <string>

#include "base/result.hpp"
#include "base/timestamp.hpp"
#include "config/config.hpp"
#include "secrets/signing_key.hpp"

namespace tasksync {

/// What a new commit holds, as git_commit_create takes it.
struct NewCommit {
  const git_signature *author = nullptr;
  const git_signature *committer = nullptr;
  const char *message_encoding = nullptr; // nullptr: UTF-8, no encoding header
  const char *message = nullptr;
  const git_tree *tree = nullptr;
  std::span<const git_commit *> parents;
};

// Writes `commit` into the repository's object database (no ref moves). With `signer`, the
// commit carries its SSH signature in a gpgsig header, as `git commit -S` with gpg.format=ssh
// writes it, so that `git verify-commit` can check it. `what` names the commit in errors ("the
// commit for <task>").
Result<git_oid> write_commit(git_repository *repo, const NewCommit &commit, const SigningKey *signer,
                             const std::string &what);

// A commit by the mirror's identity (repo.author): authored at `author_time` (whose seconds a
// commit must be able to hold: 1970 to 2106), committed now, with `parents` (none or one), written
// by write_commit() (no ref moves).
Result<git_oid> write_mirror_commit(git_repository *repo, const RepoSettings &settings, const Timestamp &author_time,
                                    const std::string &message, const git_tree *tree, const git_commit *parent,
                                    const SigningKey *signer, const std::string &what);

} // namespace tasksync
