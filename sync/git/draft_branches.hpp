#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/timestamp.hpp"
#include "config/config.hpp"
#include "render/render.hpp"
#include "secrets/signing_key.hpp"

namespace tasksync {

// A draft branch as the mirror left it: refs/heads/<drafts_prefix><task ID>, one commit on top
// of the branch tip it was built on.
struct DraftBranch {
  std::string task_id;
  std::string ref;        // the full ref name
  git_oid tip{};          // its commit
  git_oid base{};         // the commit it was built on (its parent; zero when it has none)
  git_oid directory{};    // tasks/<task ID> in it
  std::string message;    // its commit's message
  std::string draft_id;   // its Task-Draft-Id trailer
  std::string updated_at; // its Task-Updated-At trailer
  bool healed = false;    // its Task-Healed: true trailer
};

// The draft branches under refs/heads/<prefix> whose rest is a task ID (anything else there is
// not the mirror's), in ref order.
Result<std::vector<DraftBranch>> read_draft_branches(git_repository *repo, const std::string &prefix);

// Writes the blobs and the tree of a task directory holding `snapshot`; the tree's id.
Result<git_oid> write_task_directory(git_repository *repo, const Snapshot &snapshot);

// Writes a draft commit (no ref moves): `base`'s tree with tasks/<task_id>/ replaced by the tree
// `directory`, `base` as its parent (none: a root commit), `message`, the configured author
// dated `author_time`, signed with `signer` when set.
Result<git_oid> write_draft_commit(git_repository *repo, const git_commit *base, const std::string &task_id,
                                   const git_oid &directory, const std::string &message, const Timestamp &author_time,
                                   const RepoSettings &settings, const SigningKey *signer);

} // namespace tasksync
