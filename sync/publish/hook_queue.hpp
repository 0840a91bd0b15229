#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "git/mirror.hpp"
#include "publish/hook_runner.hpp"

namespace tasksync {

// The hooks of commits a run made, held until their commit is on the branch and, when pushing,
// on the remote: a replay (of a pass on a branch that moved, or of the pusher onto another
// mirror's commits) gives a commit a new id, and a hook must be told the id that is there.
class HookQueue {
public:
  // Holds the hook of a commit a pass made.
  void add(HookEvent event);

  // Runs hooks.on_change, in the order the commits were made, for each held commit that is now
  // on `branch_ref`, under the id the mirror's replays gave it (Mirror::take_replaced_commits()),
  // and, when `remote_ref` is given, reachable from it too (a commit the remote lacks waits for a
  // later push). A commit that is not on the branch (its pass could not be recorded) or that a
  // replay dropped (the branch already held its content) gets no hook, and is logged. A failing
  // hook is logged and changes nothing.
  void run_due(const HookSettings &hooks, Mirror &mirror, const std::string &branch_ref,
               const std::optional<std::string> &remote_ref);

  // Commits whose hook has not run yet.
  std::size_t waiting() const { return m_waiting.size(); }

private:
  std::vector<HookEvent> m_waiting; // oldest first
};

} // namespace tasksync
