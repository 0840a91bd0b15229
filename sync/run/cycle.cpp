#include "run/cycle.hpp"

#include <algorithm>
#include <unordered_set>

#include "publish/hook_runner.hpp"
#include "base/log.hpp"
#include "publish/pusher.hpp"
#include "run/task_list.hpp"

namespace tasksync {
namespace {

Timestamp now() {
  return {std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(),
          0};
}

// With `tasks: all`, a task directory whose task the API stopped listing.
void handle_unlisted(Runtime &runtime, const std::vector<TaskEntry> &listed, PassMode mode, PassReport &report) {
  auto mirrored = runtime.mirror.mirrored_tasks();
  if (!mirrored) {
    report.problems.push_back(mirrored.error().message);
    log::error(report.problems.back());
    return;
  }
  std::unordered_set<std::string> listed_ids;
  for (const TaskEntry &task : listed) listed_ids.insert(task.id);
  for (const std::string &id : *mirrored) {
    const bool still_listed = listed_ids.count(id) > 0;
    const bool excluded = std::find(runtime.config.tasks_exclude.begin(), runtime.config.tasks_exclude.end(), id) !=
                          runtime.config.tasks_exclude.end();
    if (still_listed || excluded) {
      runtime.reported_unlisted.erase(id);
      continue;
    }
    if (!runtime.config.repo.prune || mode == PassMode::dry_run) {
      if (runtime.reported_unlisted.insert(id).second) {
        log::warning("task " + id + ": no longer listed by the API; keeping its files (repo.prune: true removes them)");
      }
      continue;
    }
    TaskOutcome &outcome = report.outcomes.emplace_back();
    outcome.task = {id, ""};
    CommitInfo info{id, id, "", "", now(), true};
    auto applied = runtime.mirror.apply(std::nullopt, info);
    if (!applied) {
      outcome.error = applied.error().message;
      log::error("task " + id + ": " + outcome.error);
      continue;
    }
    outcome.change = applied->kind;
    outcome.commit_id = applied->commit_id;
    log::info("task " + id + ": deleted, no longer listed by the API, commit " + applied->commit_id.substr(0, 12));
  }
}

// Records the pass's commits on the branch and writes the index: the one place a pass ends.
void finish_pass(Mirror &mirror, PassReport &report) {
  if (auto finished = mirror.finish_pass(); !finished) {
    report.problems.push_back("repository " + mirror.work_tree().string() + ": " + finished.error().message);
    log::error(report.problems.back());
  }
}

// With repo.push: publish what this cycle (or an earlier one whose push failed) committed.
void push(Runtime &runtime, PassReport &report) {
  if (!runtime.config.repo.push) return;
  Pusher pusher(runtime.config.repo);
  auto pending = pusher.pending(runtime.mirror);
  if (pending && *pending == 0 && report.commits() == 0) {
    report.unpushed = 0;
    return;
  }
  auto pushed = pusher.push(runtime.mirror);
  if (!pushed) {
    report.problems.push_back(pushed.error().message);
    log::error(report.problems.back() + "; the commits stay here and the next cycle pushes them");
  }
  if (auto left = pusher.pending(runtime.mirror)) report.unpushed = *left;
}

// hooks.on_change after each commit of the cycle; a failing hook is logged and changes nothing.
void run_hooks(const Runtime &runtime, const PassReport &report) {
  if (runtime.config.hooks.on_change.empty()) return;
  for (const TaskOutcome &outcome : report.outcomes) {
    if (outcome.commit_id.empty()) continue;
    const HookEvent event{outcome.task.id, outcome.version, outcome.commit_id, runtime.mirror.work_tree()};
    if (auto ran = run_hook(runtime.config.hooks, event); !ran) {
      log::warning("task " + outcome.task.id + ": " + ran.error().message);
    }
  }
}

} // namespace

PassReport run_cycle(Runtime &runtime, PassMode mode, std::stop_token stop, const Poller::Progress &progress,
                     std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  auto tasks = resolve_tasks(runtime.config, *runtime.clients.api, stop, give_up_at);
  if (!tasks) {
    PassReport report;
    report.api_key_rejected = tasks.error().is_auth_failure();
    report.problems.push_back(tasks.error().message);
    log::error(report.problems.back());
    return report;
  }
  PassReport report = runtime.clients.poller->run_pass(*tasks, runtime.mirror, mode, stop, progress, give_up_at);
  if (runtime.config.all_tasks && !report.interrupted && !report.api_key_rejected) {
    handle_unlisted(runtime, *tasks, mode, report);
  }
  if (mode == PassMode::apply) finish_pass(runtime.mirror, report);
  if (mode == PassMode::apply && !report.interrupted) {
    push(runtime, report);
    run_hooks(runtime, report);
  }
  return report;
}

} // namespace tasksync
