#pragma once

#include <cstddef>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "git/mirror.hpp"
#include "publish/hook_runner.hpp"
#include "publish/hook_worker.hpp"

namespace tasksync {

// The hooks of commits a run made (on the branch and on draft branches), held until their commit
// is on the branch and, when pushing, on the remote: a replay (of a pass on a branch that moved, or of the pusher onto
// another mirror's commits) gives a commit a new id, and a hook must be told the id that is there. Due hooks go to a
// worker that runs them off the pass; both live as long as the run (a reload keeps them), and destroying the queue
// stops the worker (HookWorker::stop()).
class HookQueue {
public:
  // Holds the hook of a commit a pass made.
  void add(HookEvent event);

  // Hands hooks.on_change to the worker (HookWorker, which runs them one at a time beside the
  // next passes), in the order the commits were made, for each held commit that is now on
  // `branch_ref`, under the id the mirror's replays gave it (Mirror::take_replaced_commits()),
  // and, when `remote_ref` is given, reachable from it too (a commit the remote lacks waits for a
  // later push). A commit that is not on the branch (its pass could not be recorded) or that a
  // replay dropped (the branch already held its content) gets no hook, and is logged. A failing
  // hook is logged and changes nothing. Deciding reads the repository, so it is the applying
  // thread's; running is the worker's. A draft branch's hook (one whose ref is not `branch_ref`)
  // is due while that branch is still as the hook says (at its commit, or gone for a removal)
  // once `drafts_published` (with repo.push: the pass's push published the draft branches); a
  // draft branch that moved on meanwhile gets no hook for what it was, and is logged.
  void start_due(const HookSettings &hooks, Mirror &mirror, const std::string &branch_ref,
                 const std::optional<std::string> &remote_ref, bool drafts_published);

  // Returns once every hook started has ended, or once `stop` is requested (a one-shot run ends
  // with its hooks).
  void wait_for_started(std::stop_token stop) { m_worker.wait_until_idle(std::move(stop)); }

private:
  std::vector<HookEvent> m_waiting; // oldest first
  HookWorker m_worker;              // last: destroyed (joined) first
};

} // namespace tasksync
