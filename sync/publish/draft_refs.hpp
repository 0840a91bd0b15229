#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tasksync::publish_detail {

/// A draft branch to create, move or delete on the remote, where it has the name it has here.
struct DraftRefUpdate {
  std::string ref;               // refs/heads/<drafts_prefix><task ID>
  std::optional<git_oid> target; // its commit; nullopt: delete it there
};

// The ref that remembers where the last push left the remote's refs/heads/<branch>:
// refs/remotes/tasksync/<branch>.
std::string tracking_ref_of(const std::string &branch);

// What the remote lacks of the draft branches, in ref order: each refs/heads/<prefix><task ID>
// here whose commit differs from its tracking ref (what the last push left there), and a deletion
// for each tracking ref under the prefix whose branch is gone. Only names that end in a task ID
// count, and only drafts this mirror pushed are ever deleted: several mirrors may publish their
// drafts to one remote.
Result<std::vector<DraftRefUpdate>> draft_ref_updates(git_repository *repo, const std::string &prefix);

// Moves (or deletes) the tracking ref of `update`, which reached the remote.
Result<void> record_draft_push(git_repository *repo, const DraftRefUpdate &update);

} // namespace tasksync::publish_detail
