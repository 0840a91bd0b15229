#include "service/webhook_requests.hpp"

namespace tasksync {

void WebhookRequests::follow(const Config &config) {
  m_drafts = config.repo.drafts;
  m_excluded = {config.tasks_exclude.begin(), config.tasks_exclude.end()};
}

void WebhookRequests::set_mirrored(std::set<std::string> ids) { m_mirrored = std::move(ids); }

TaskPassRequest WebhookRequests::add(const TaskEventRequest &request, bool pass_running) {
  const bool healed = request.healed && m_drafts;
  if (healed && request.healed_version_id) {
    m_healed_ids.push_back(*request.healed_version_id);
    if (m_healed_ids.size() > kMostHealedDrafts) m_healed_ids.pop_front();
  }
  if (request.task_id && m_mirrored.contains(*request.task_id)) {
    m_tasks.insert(*request.task_id);
    if (healed) m_drafts_of.insert(*request.task_id);
    return pass_running ? TaskPassRequest::queued : TaskPassRequest::started;
  }
  // A task excluded on purpose is known not to be mirrored; any other may be one under an ID
  // tasksyncd does not know (the docs do not say which ID events carry).
  if (!healed || (request.task_id && m_excluded.contains(*request.task_id))) return TaskPassRequest::not_mirrored;
  m_every_draft_wanted = true;
  return TaskPassRequest::every_draft;
}

WebhookRequests::Tasks WebhookRequests::take_tasks() {
  Tasks taken;
  for (const std::string &id : m_tasks) {
    if (!m_mirrored.contains(id)) continue;
    taken.tasks.insert(id);
    if (m_drafts_of.contains(id)) taken.drafts_of.insert(id);
  }
  m_tasks.clear();
  m_drafts_of.clear();
  return taken;
}

void WebhookRequests::hand_over_drafts(RunMemory &memory) {
  for (const std::string &id : m_healed_ids)
    memory.healed_drafts.add(id);
  m_healed_ids.clear();
  if (m_every_draft_wanted) memory.every_draft_wanted = true;
  m_every_draft_wanted = false;
}

} // namespace tasksync
