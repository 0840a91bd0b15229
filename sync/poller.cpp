#include "poller.hpp"

#include <algorithm>

#include "log.hpp"
#include "render.hpp"

namespace tasksync {
namespace {

std::string task_name(const TaskEntry &task) {
  return task.name.empty() ? "task " + task.id : "task " + task.id + " (" + task.name + ")";
}

void sync_task(const TaskEntry &task, ApiClient &api, Mirror &mirror, PassMode mode, TaskOutcome &outcome,
               bool &api_key_rejected) {
  auto fetched = api.fetch_latest(task.id);
  if (!fetched) {
    outcome.error = fetched.error().message;
    api_key_rejected = fetched.error().is_auth_failure();
    return;
  }
  const TaskVersion &version = *fetched;
  outcome.version = version.version;
  if (!version.deleted && !is_known_language(version.language)) {
    log::warning(task_name(task) + ": unknown language \"" + version.language.value_or("") + "\", mirrored as " +
                 code_file_name(version.language));
  }
  const std::optional<Snapshot> desired = version.deleted ? std::nullopt : std::optional<Snapshot>(render(version));
  if (mode == PassMode::dry_run) {
    auto planned = mirror.plan(task.id, desired);
    if (!planned) outcome.error = planned.error().message;
    else outcome.change = *planned;
    return;
  }
  const CommitInfo info{task.id, task.label(), version.version, version.updated_at, version.updated};
  auto applied = mirror.apply(desired, info);
  if (!applied) {
    outcome.error = applied.error().message;
    return;
  }
  outcome.change = applied->kind;
  outcome.commit_id = applied->commit_id;
}

} // namespace

std::size_t PassReport::failures() const {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return o.failed(); }));
}

std::size_t PassReport::commits() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return !o.commit_id.empty(); }));
}

PassReport run_pass(const std::vector<TaskEntry> &tasks, ApiClient &api, Mirror &mirror, PassMode mode) {
  PassReport report;
  for (const TaskEntry &task : tasks) {
    TaskOutcome &outcome = report.outcomes.emplace_back(TaskOutcome{task, {}, {}, {}, {}});
    if (report.api_key_rejected) {
      outcome.error = "skipped: the API key was rejected";
      continue;
    }
    sync_task(task, api, mirror, mode, outcome, report.api_key_rejected);
    if (report.api_key_rejected) {
      log::error("API key rejected (" + outcome.error + ") on " + task_name(task) +
                 "; skipping the other tasks this pass: check the key");
    } else if (outcome.failed()) {
      log::error(task_name(task) + ": " + outcome.error);
    } else if (!outcome.commit_id.empty()) {
      log::info(task_name(task) + ": " + to_string(outcome.change) + " version " + outcome.version + ", commit " +
                outcome.commit_id.substr(0, 12));
    } else {
      log::debug(task_name(task) + ": " + to_string(outcome.change) + " at version " + outcome.version);
    }
  }
  if (mode == PassMode::apply) {
    if (auto flushed = mirror.finish_pass(); !flushed) {
      report.repository_error = flushed.error().message;
      log::error("repository " + mirror.work_tree().string() + ": " + report.repository_error);
    }
  }
  return report;
}

} // namespace tasksync
