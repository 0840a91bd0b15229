#include "run/backfill.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "render/render.hpp"

namespace tasksync {
namespace {

// Oldest first: by creation time, then by version number.
bool older(const VersionInfo &a, const VersionInfo &b) {
  if (a.created.unix_seconds != b.created.unix_seconds) return a.created.unix_seconds < b.created.unix_seconds;
  if (a.version.size() != b.version.size()) return a.version.size() < b.version.size(); // digits only: length first
  return a.version < b.version;
}

Result<std::vector<TaskVersion>> fetch_history(const TaskEntry &task, ApiClient &api, std::stop_token stop) {
  auto listed = api.fetch_versions(task.id, stop);
  if (!listed) return Error{"listing versions: " + listed.error().message};
  std::vector<VersionInfo> versions;
  std::copy_if(listed->begin(), listed->end(), std::back_inserter(versions),
               [](const VersionInfo &v) { return v.version != "draft" && v.version != "latest"; });
  std::sort(versions.begin(), versions.end(), older);
  std::vector<TaskVersion> history;
  for (const VersionInfo &info : versions) {
    auto version = api.fetch_version(task.id, info.version, stop);
    if (!version) return Error{"version " + info.version + ": " + version.error().message};
    history.push_back(std::move(*version));
  }
  return history;
}

} // namespace

BackfillReport backfill(const std::vector<TaskEntry> &tasks, ApiClient &api, Mirror &mirror, TaskNames &names,
                        std::stop_token stop, const BackfillProgress &progress) {
  BackfillReport report;
  auto mirrored = mirror.mirrored_tasks();
  if (!mirrored) {
    report.failures.push_back(mirrored.error().message);
    return report;
  }
  for (std::size_t n = 0; n < tasks.size() && !stop.stop_requested(); ++n) {
    const TaskEntry &task = tasks[n];
    if (std::find(mirrored->begin(), mirrored->end(), task.id) != mirrored->end()) continue;
    auto history = fetch_history(task, api, stop);
    if (!history) {
      report.failures.push_back("task " + task.id + ": backfill: " + history.error().message);
      report.failed_tasks.push_back(task.id);
      log::error(report.failures.back());
      continue;
    }
    if (!history->empty()) names.look_up(task, api, stop);
    const std::string label = names.label(task);
    std::size_t made = 0;
    for (std::size_t k = 0; k < history->size(); ++k) {
      const TaskVersion &version = (*history)[k];
      if (progress) progress(n + 1, tasks.size(), task, k + 1, history->size());
      const std::optional<Snapshot> desired = version.deleted ? std::nullopt : std::optional<Snapshot>(render(version));
      auto applied = mirror.apply(desired, {task.id, label, version.version, version.updated_at, version.updated});
      if (!applied) {
        report.failures.push_back("task " + task.id + ": backfill: version " + version.version + ": " +
                                  applied.error().message);
        log::error(report.failures.back());
        break;
      }
      if (!applied->commit_id.empty()) ++made;
    }
    report.commits += made;
    if (made > 0) ++report.tasks_imported;
    log::info("task " + task.id + ": imported " + std::to_string(made) + " versions");
    if (auto recorded = mirror.checkpoint(); !recorded) {
      report.failures.push_back(recorded.error().message);
      log::error(report.failures.back());
    }
  }
  if (auto flushed = mirror.finish_pass(); !flushed) report.failures.push_back(flushed.error().message);
  return report;
}

void hold_back(Config &config, const std::vector<std::string> &task_ids) {
  for (const std::string &id : task_ids) {
    std::erase_if(config.tasks, [&](const TaskEntry &task) { return task.id == id; });
    config.tasks_exclude.push_back(id);
  }
}

} // namespace tasksync
