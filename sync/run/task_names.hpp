#pragma once

#include <mutex>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "api/client.hpp"
#include "config/config.hpp"

namespace tasksync {

// The names the API knows tasks by, for commit subjects: asked at most once per task and run,
// by whoever fetches (a pass's workers, backfill), never by the thread that commits while
// commits wait. Shared by every pass of a run and by backfill; thread-safe.
class TaskNames {
public:
  // What a commit subject calls `task`: its configured name, else its name in the API when
  // known, else its ID.
  std::string label(const TaskEntry &task) const;

  // True when label() would fall back to the ID because nobody asked the API yet.
  bool unknown(const TaskEntry &task) const;

  // Records the name the task list gave `task_id` (none: its ID).
  void remember(const std::string &task_id, const std::string &name);

  // Asks the API for `task`'s name when unknown(). A failure is logged at debug level and
  // leaves the name unknown, so a later commit asks again.
  void look_up(const TaskEntry &task, ApiClient &api, std::stop_token stop = {});

private:
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, std::string> m_names; // task ID -> label (the ID when unnamed)
};

} // namespace tasksync
