#include "publish/hook_queue.hpp"

#include "base/log.hpp"
#include "git/branch_update.hpp"

namespace tasksync {
namespace {

// True when the commit `id` is `tip` or one of its ancestors.
Result<bool> reachable(git_repository *repo, const std::optional<git_oid> &tip, const git_oid &id) {
  if (!tip) return false;
  if (git_oid_equal(&*tip, &id)) return true;
  const int rc = git_graph_descendant_of(repo, &*tip, &id);
  if (rc < 0) return git_error(std::string("cannot tell whether ") + git_oid_tostr_s(&id) + " is on the branch", rc);
  return rc == 1;
}

std::string short_id(const std::string &id) { return id.substr(0, 12); }

// Whether a draft branch's hook still tells what the branch is: the branch at its commit, or, for
// a removal, no branch.
Result<bool> still_current(git_repository *repo, const HookEvent &event) {
  TRY_ASSIGN(const auto tip, read_ref(repo, event.ref));
  if (event.commit_id.empty()) return !tip;
  return tip && event.commit_id == git_oid_tostr_s(&*tip);
}

} // namespace

void HookQueue::add(HookEvent event) { m_waiting.push_back(std::move(event)); }

void HookQueue::start_due(const HookSettings &hooks, Mirror &mirror, const std::string &branch_ref,
                          const std::optional<std::string> &remote_ref, bool drafts_published) {
  const ReplacedCommits replaced = mirror.take_replaced_commits();
  git_repository *repo = mirror.repository();
  if (m_waiting.empty() || !repo) return;
  auto branch_tip = read_ref(repo, branch_ref);
  auto remote_tip = remote_ref ? read_ref(repo, *remote_ref) : Result<std::optional<git_oid>>(std::nullopt);
  if (!branch_tip || !remote_tip) {
    log::warning("hooks: " + (branch_tip ? remote_tip : branch_tip).error().message + "; " +
                 std::to_string(m_waiting.size()) + " hooks wait for the next pass");
    return;
  }
  std::vector<HookEvent> still_waiting;
  for (HookEvent &event : m_waiting) {
    if (event.ref != branch_ref) {
      auto current = still_current(repo, event);
      if (!current) {
        log::warning("task " + event.task_id + ": hook waits: " + current.error().message);
        still_waiting.push_back(std::move(event));
      } else if (!*current) {
        log::info("task " + event.task_id + ": " + event.ref + " moved on before its hook ran; no hook runs for " +
                  (event.commit_id.empty() ? "its removal" : "commit " + short_id(event.commit_id)));
      } else if (!drafts_published) {
        still_waiting.push_back(std::move(event));
      } else {
        m_worker.submit({hooks, std::move(event)});
      }
      continue;
    }
    const std::string made = event.commit_id;
    const std::optional<std::string> now = current_id(replaced, made);
    if (!now) {
      log::info("task " + event.task_id + ": commit " + short_id(made) +
                " was dropped by a replay (the branch already held its content); no hook runs for it");
      continue;
    }
    event.commit_id = *now;
    git_oid id;
    if (git_oid_fromstr(&id, now->c_str()) < 0) continue; // cannot happen: ids come from libgit2
    auto on_branch = reachable(repo, *branch_tip, id);
    if (on_branch && !*on_branch) {
      log::info("task " + event.task_id + ": commit " + short_id(*now) +
                " did not reach the branch; no hook runs for it");
      continue;
    }
    auto on_remote = on_branch && remote_ref ? reachable(repo, *remote_tip, id) : on_branch;
    if (!on_branch || !on_remote) {
      log::warning("task " + event.task_id + ": hook waits: " + (on_branch ? on_remote : on_branch).error().message);
      still_waiting.push_back(std::move(event));
      continue;
    }
    if (!*on_remote) { // pushed by a later push, or never if the run ends first
      still_waiting.push_back(std::move(event));
      continue;
    }
    m_worker.submit({hooks, std::move(event)});
  }
  m_waiting = std::move(still_waiting);
}

} // namespace tasksync
