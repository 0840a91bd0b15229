#pragma once

#include <deque>
#include <set>
#include <string>

#include "config/config.hpp"
#include "ops/webhook_receiver.hpp"
#include "run/runtime.hpp"

namespace tasksync {

/// What webhooks asked of the service's loop since it last took it, and which tasks they may
/// name: the service's side of POST /webhooks/anchorbrowser. Not thread-safe: the Service guards
/// it with its mutex.
class WebhookRequests {
public:
  /// The tasks a task pass is asked for, and those of them whose draft it reads too.
  struct Tasks {
    std::set<std::string> tasks;
    std::set<std::string> drafts_of;
  };

  // Follows the config in force: its repo.drafts and tasks_exclude.
  void follow(const Config &config);
  // The tasks a webhook may name from now on (mirrored_before_a_list(), tasks_after_pass()).
  void set_mirrored(std::set<std::string> ids);
  // Records what `request` asks for, as Service::request_task_pass() says; `pass_running` tells
  // a pass that starts from one that follows the pass running.
  TaskPassRequest add(const TaskEventRequest &request, bool pass_running);
  // True when a task pass has been asked for.
  bool tasks_asked() const { return !m_tasks.empty(); }
  // The tasks asked for that are still mirrored (a reload may have dropped some), with the drafts
  // asked of them; forgets what was asked.
  Tasks take_tasks();
  // Before a pass of either kind: task.healed's draft IDs and a wish for every draft join what
  // `memory` remembers; forgets them.
  void hand_over_drafts(RunMemory &memory);

private:
  std::set<std::string> m_tasks;        // for the next task pass
  std::set<std::string> m_drafts_of;    // of those, named by task.healed: their draft is read too
  std::deque<std::string> m_healed_ids; // task.healed's draft IDs, for RunMemory::healed_drafts (the last 1000)
  bool m_every_draft_wanted = false;    // a task.healed named no mirrored task
  bool m_drafts = false;                // repo.drafts, as in force
  std::set<std::string> m_excluded;     // tasks_exclude, as in force
  std::set<std::string> m_mirrored;     // the tasks a webhook may ask for
};

} // namespace tasksync
