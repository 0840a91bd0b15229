#pragma once

#include <cstddef>
#include <stop_token>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "git/mirror.hpp"
#include "publish/draft_refs.hpp"

namespace tasksync {

/// What one push did.
struct PushReport {
  std::size_t pushed = 0;    // commits the remote branch gained
  std::size_t replayed = 0;  // local commits rebuilt on top of the remote branch first
  bool branch_moved = false; // a replay moved the mirror's branch (draft branches built on it are stale)
};

// Publishes the mirror's branch to repo.push.remote, so that several mirrors (one per team or
// host, each with its own tasks) can share one remote branch. The remote branch's tip is
// remembered in refs/remotes/tasksync/<push.branch>. With repo.drafts, the draft branches
// (refs/heads/<drafts_prefix><task ID>) go in the same push under their own names: created or
// moved by force, or deleted once gone here, each remembered in refs/remotes/tasksync/<its name>;
// a draft this mirror never pushed (another mirror's) is never touched there. All repository work
// goes through the mirror's own repository handle, between passes (see Mirror's class comment).
class Pusher {
public:
  // settings.push must be set; `settings` are the mirror's. Does no I/O.
  explicit Pusher(RepoSettings settings);

  // Pushes the mirror's branch (settings.branch) to push.branch on push.remote. When the remote
  // rejects it as non-fast-forward (another mirror pushed first): fetch, replay the local
  // commits that the remote lacks on top of the remote branch, have `mirror` move its branch,
  // work tree and index to the result, and push again; at most 5 rounds, with a short backoff.
  // History that reached the remote is never rewritten. On failure, nothing local is lost.
  // The draft branches that differ from what was last pushed of them go with the first round;
  // after a replay moved the branch they wait (branch_moved: rebuild them, and push again). A
  // draft branch the remote refuses fails the push, naming it, once the branch is pushed.
  // Over the network it ends within push.timeout, or soon after `stop` is requested, and talks
  // only to the remote's own host and port (see NetworkBound).
  Result<PushReport> push(Mirror &mirror, std::stop_token stop = {});

  // Commits on the mirror's branch that the remote branch (as last fetched or pushed) lacks.
  Result<std::size_t> pending(const Mirror &mirror) const;

  // With repo.drafts, the draft branches to create, move or delete on the remote (0 without).
  Result<std::size_t> pending_drafts(const Mirror &mirror) const;

  // The ref that holds the remote branch's tip as last pushed or fetched
  // (refs/remotes/tasksync/<push.branch>).
  std::string tracking_ref() const;

private:
  // What pending_drafts() counts.
  Result<std::vector<publish_detail::DraftRefUpdate>> draft_updates(const Mirror &mirror) const;

  RepoSettings m_settings;
};

} // namespace tasksync
