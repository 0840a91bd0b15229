#include "run/poller.hpp"

#include "base/log.hpp"

namespace tasksync {
namespace {

std::string task_name(const TaskEntry &task) {
  return task.name.empty() ? "task " + task.id : "task " + task.id + " (" + task.name + ")";
}

void log_outcome(const TaskOutcome &outcome) {
  for (const TaskOutcome::Filled &filled : outcome.filled) {
    if (filled.commit_id.empty()) continue;
    log::info(task_name(outcome.task) + ": updated version " + filled.version +
              " (published since the last pass, before version " + outcome.version + "), commit " +
              filled.commit_id.substr(0, 12));
  }
  if (outcome.failed()) {
    log::error(task_name(outcome.task) + ": " + outcome.error);
  } else if (!outcome.commit_id.empty()) {
    const std::string move = !outcome.rollback_from.empty()
                                 ? " (rolled back from version " + outcome.rollback_from + ")"
                             : outcome.rewritten ? " (rewritten without a new number)"
                                                 : "";
    log::info(task_name(outcome.task) + ": " + to_string(outcome.change) + " version " + outcome.version + move +
              ", commit " + outcome.commit_id.substr(0, 12));
  } else {
    log::debug(task_name(outcome.task) + ": " + to_string(outcome.change) + " at version " + outcome.version);
  }
}

} // namespace

Poller::Poller(FetchPool &pool, TaskNames &names) : m_pool(pool), m_names(names) {}

void Poller::apply(const TaskEntry &task, const Fetched &fetched, Mirror &mirror, PassMode mode, TaskOutcome &outcome) {
  const TaskVersion &version = *fetched.result;
  outcome.version = version.version;
  if (!version.deleted && !is_known_language(version.language)) {
    log::warning(task_name(task) + ": unknown language \"" + version.language.value_or("") + "\", mirrored as " +
                 code_file_name(version.language));
  }
  const std::string label = m_names.label(task);
  // The versions published between HEAD's and the latest ran too: each is its own commit first.
  for (const GapVersion &gap : fetched.gap.versions) {
    if (mode == PassMode::dry_run) {
      outcome.filled.push_back({gap.version.version, ""});
      continue;
    }
    const TaskVersion &filled = gap.version;
    auto applied = mirror.apply(gap.snapshot, {task.id, label, filled.version, filled.updated_at, filled.updated});
    if (!applied) {
      outcome.error = "version " + filled.version + ": " + applied.error().message;
      return;
    }
    outcome.filled.push_back({filled.version, applied->commit_id});
  }
  outcome.unavailable = fetched.gap.unavailable;
  if (!outcome.unavailable.empty()) {
    std::string versions;
    for (const std::string &number : outcome.unavailable)
      versions += (versions.empty() ? "" : ", ") + number;
    log::warning(task_name(task) + ": version" + (outcome.unavailable.size() > 1 ? "s " : " ") + versions +
                 " listed by the API but no longer available (404 or deleted); recording version " + version.version +
                 " without " + (outcome.unavailable.size() > 1 ? "them" : "it"));
  }
  auto planned = mirror.plan(task.id, fetched.snapshot);
  if (!planned) {
    outcome.error = planned.error().message;
    return;
  }
  outcome.change = *planned;
  if (*planned == ChangeKind::unchanged) return;
  if (*planned == ChangeKind::updated && fetched.head && fetched.snapshot && outcome.filled.empty()) {
    switch (version_move(*fetched.head, version, *fetched.snapshot)) {
    case VersionMove::forward: break;
    case VersionMove::rollback: outcome.rollback_from = fetched.head->version(); break;
    case VersionMove::rewritten:
      outcome.rewritten = true;
      log::warning(task_name(task) + ": version " + version.version +
                   " changed upstream without a new version number (its code, language, description or "
                   "browserConfiguration differ from what was recorded)");
      break;
    }
  }
  if (mode == PassMode::dry_run) {
    auto changes = mirror.changes(task.id, fetched.snapshot);
    if (!changes)
      outcome.error = changes.error().message;
    else
      outcome.changes = std::move(*changes);
    return;
  }
  CommitInfo info{task.id, label, version.version, version.updated_at, version.updated};
  info.rollback_from = outcome.rollback_from;
  info.rewritten = outcome.rewritten;
  info.unavailable = outcome.unavailable;
  auto applied = mirror.apply(fetched.snapshot, info);
  if (!applied) {
    outcome.error = applied.error().message;
    return;
  }
  outcome.change = applied->kind;
  outcome.commit_id = applied->commit_id;
}

PassReport Poller::run_pass(const std::vector<TaskEntry> &tasks, Mirror &mirror, PassMode mode, std::stop_token stop,
                            const Progress &progress, std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  PassReport report;
  auto head = mirror.tasks_at_head();
  if (!head) {
    report.problems.push_back("repository " + mirror.work_tree().string() + ": " + head.error().message);
    log::error(report.problems.back());
    return report;
  }
  m_pool.start(tasks, std::move(*head), mirror.head_reader(), stop, give_up_at);
  report.outcomes.reserve(tasks.size());
  const std::stop_callback abandon_requests(stop, [this] { m_pool.cancel(); });

  for (std::size_t i = 0; i < tasks.size(); ++i) {
    std::optional<Fetched> fetched;
    if (!report.api_key_rejected) {
      fetched = m_pool.take(i, stop);
      if (!fetched) {
        report.interrupted = true;
        break;
      }
    }
    TaskOutcome &outcome = report.outcomes.emplace_back();
    outcome.task = tasks[i];
    if (!fetched) {
      outcome.error = "skipped: the API key was rejected";
      continue;
    }
    outcome.fetch_seconds = fetched->seconds;
    if (!fetched->result) {
      outcome.fetch_error = fetched->result.error();
      outcome.error = outcome.fetch_error->message;
    } else {
      apply(tasks[i], *fetched, mirror, mode, outcome);
      if (mode == PassMode::apply) {
        if (auto recorded = mirror.checkpoint(); !recorded) {
          report.record_error = "repository " + mirror.work_tree().string() + ": " + recorded.error().message;
          report.problems.push_back(report.record_error);
          log::error(report.problems.back());
        }
      }
    }
    if (outcome.fetch_error && outcome.fetch_error->is_auth_failure()) {
      report.api_key_rejected = true;
      m_pool.stop_fetching(); // every other request would be refused too
      log::error("API key rejected (" + outcome.error + ") on " + task_name(tasks[i]) +
                 "; skipping the other tasks this pass: check the key");
    } else if (stop.stop_requested() && outcome.fetch_error) {
      report.interrupted = true; // the stop cancelled the request: the pass ends, the task did not fail
    } else {
      log_outcome(outcome);
    }
    if (progress) progress(outcome);
  }
  m_pool.finish();
  return report;
}

} // namespace tasksync
