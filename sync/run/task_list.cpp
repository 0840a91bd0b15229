#include "run/task_list.hpp"

#include <algorithm>
#include <set>

namespace tasksync {

Result<std::vector<TaskEntry>, FetchError> resolve_tasks(const Config &config, ApiClient &api, std::stop_token stop,
                                                         std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  if (!config.all_tasks) return config.tasks;
  constexpr int kPageSize = 100;
  const std::set<std::string> excluded(config.tasks_exclude.begin(), config.tasks_exclude.end());
  std::vector<TaskEntry> tasks;
  std::set<std::string> seen;
  for (int page = 1;; ++page) {
    auto listed = api.list_tasks(page, kPageSize, stop, give_up_at);
    if (!listed) {
      FetchError error = listed.error();
      error.message = "listing the team's tasks (page " + std::to_string(page) + "): " + error.message;
      return error;
    }
    const std::size_t before = seen.size();
    for (ListedTask &task : listed->tasks) {
      if (seen.insert(task.id).second && !excluded.contains(task.id)) tasks.push_back({task.id, std::move(task.name)});
    }
    // A page with nothing new ends the listing too, so a misbehaving API cannot loop us forever.
    if (seen.size() == before || static_cast<long long>(seen.size()) >= listed->total) break;
  }
  std::sort(tasks.begin(), tasks.end(), [](const TaskEntry &a, const TaskEntry &b) { return a.id < b.id; });
  return tasks;
}

} // namespace tasksync
