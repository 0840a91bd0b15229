#pragma once

#include <git2.h>

#include "base/result.hpp"
#include "publish/push_session.hpp"

namespace tasksync::publish_detail {

// Offers `tip` of `repo` as session.remote_ref() of the path remote session.remote().path (a
// path or file:// remote), and with it the `drafts`. libgit2's local transport would overwrite
// the remote branch without comparing it with what it saw, so two mirrors pushing at once could
// lose commits; this copies the objects the remote lacks as one pack and moves its branch by
// compare-and-swap. Not accepted when the remote branch is not an ancestor of `tip` or moved
// meanwhile (the drafts then wait too); refused when a non-bare remote has the branch checked
// out. Once the branch is there, each draft branch is set (whatever it was) or deleted; one the
// remote cannot take, or has checked out, is refused on its own.
Result<PushAttempt> push_to_local_remote(git_repository *repo, PushSession &session, const git_oid &tip,
                                         const std::vector<DraftRefUpdate> &drafts);

} // namespace tasksync::publish_detail
