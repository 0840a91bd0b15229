#include "run/task_names.hpp"

#include "base/log.hpp"

namespace tasksync {

std::string TaskNames::label(const TaskEntry &task) const {
  if (!task.name.empty()) return task.name;
  std::lock_guard lock(m_mutex);
  const auto known = m_names.find(task.id);
  return known == m_names.end() ? task.id : known->second;
}

bool TaskNames::unknown(const TaskEntry &task) const {
  if (!task.name.empty()) return false;
  std::lock_guard lock(m_mutex);
  return m_names.count(task.id) == 0;
}

void TaskNames::remember(const std::string &task_id, const std::string &name) {
  std::lock_guard lock(m_mutex);
  m_names.insert_or_assign(task_id, name.empty() ? task_id : name);
}

void TaskNames::look_up(const TaskEntry &task, ApiClient &api, std::stop_token stop) {
  if (!unknown(task)) return;
  auto info = api.fetch_task(task.id, stop);
  if (!info) {
    log::debug("task " + task.id + ": no name from the API (" + info.error().message + "), using the ID");
    return;
  }
  std::lock_guard lock(m_mutex);
  m_names.emplace(task.id, info->name.empty() ? task.id : info->name);
}

} // namespace tasksync
