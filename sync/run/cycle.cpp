#include "run/cycle.hpp"

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "publish/hook_queue.hpp"
#include "publish/pusher.hpp"
#include "run/drafts.hpp"
#include "run/list_pass.hpp"
#include "run/task_list.hpp"
#include "run/task_selection.hpp"

namespace tasksync {
namespace {

// With `tasks: all` and a complete `listing`, the task directories whose task the API stopped
// listing: reported once each, or with repo.prune deleted.
void handle_unlisted(Runtime &runtime, const TaskListing &listing, PassMode mode, PassReport &report) {
  auto unlisted = mirrored_unlisted(runtime.config, runtime.mirror, listing);
  if (!unlisted) {
    report.problems.push_back(unlisted.error().message);
    log::error(report.problems.back());
    return;
  }
  // Only tasks still unlisted stay reported: one listed again, excluded or gone from HEAD is
  // reported again should it be mirrored unlisted later.
  const std::unordered_set<std::string> still_unlisted(unlisted->begin(), unlisted->end());
  std::erase_if(runtime.reported_unlisted, [&](const std::string &id) { return !still_unlisted.contains(id); });
  for (const std::string &id : *unlisted) {
    if (!runtime.config.repo.prune || mode == PassMode::dry_run) {
      if (runtime.reported_unlisted.insert(id).second) {
        log::warning("task " + id + ": no longer listed by the API; keeping its files (repo.prune: true removes them)");
      }
      continue;
    }
    TaskOutcome &outcome = report.outcomes.emplace_back();
    outcome.task = {id, ""};
    CommitInfo info{id, id, "", "", Timestamp{unix_now(), 0}, true};
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

// The most pages of the task list worth reading this pass, or none. With `tasks: all` the list
// names the tasks; a configured list reads it only when its pages cost fewer requests than the
// tasks one by one (as far as the last listing's size tells). A pass that fetches every task
// reads it too, to count what the list got wrong.
std::optional<std::size_t> list_budget(const Runtime &runtime) {
  if (runtime.config.all_tasks) return std::numeric_limits<std::size_t>::max();
  const std::size_t tasks = runtime.config.tasks.size();
  if (tasks <= 1) return std::nullopt;
  if (const auto total = runtime.memory->listed_total) {
    const auto pages = static_cast<std::size_t>((std::max(*total, 1LL) + kListPageSize - 1) / kListPageSize);
    if (pages >= tasks) return std::nullopt;
  }
  return tasks - 1;
}

// What a run keeps of a listing: its size, and the names it gives (so commit subjects need no
// request of their own).
void remember_listing(Runtime &runtime, const TaskListing &listing) {
  runtime.memory->listed_total = listing.total;
  for (const ListEntry &task : listing.tasks)
    runtime.memory->names.remember(task.id, task.name);
}

// Records the pass's commits on the branch and writes the index: the one place a pass ends.
void finish_pass(Mirror &mirror, PassReport &report) {
  if (auto finished = mirror.finish_pass(); !finished) {
    report.record_error = "repository " + mirror.work_tree().string() + ": " + finished.error().message;
    report.problems.push_back(report.record_error);
    log::error(report.problems.back());
  }
}

// With repo.push: publish what this cycle (or an earlier one whose push failed) committed, and
// the draft branches that differ from what was last pushed of them. True when a replay moved the
// branch under the draft branches.
bool push(Runtime &runtime, PassReport &report, std::stop_token stop) {
  if (!runtime.config.repo.push) return false;
  Pusher pusher(runtime.config.repo);
  auto pending = pusher.pending(runtime.mirror);
  auto drafts = pusher.pending_drafts(runtime.mirror);
  if (pending && *pending == 0 && drafts && *drafts == 0 && report.commits() == 0) {
    report.unpushed = 0;
    report.push = PushOutcome::nothing;
    return false;
  }
  auto pushed = pusher.push(runtime.mirror, std::move(stop));
  report.push = pushed ? PushOutcome::ok : PushOutcome::failed;
  if (!pushed) {
    report.push_error = pushed.error().message;
    report.problems.push_back(pushed.error().message);
    log::error(report.problems.back() + "; the commits stay here and the next cycle pushes them");
  }
  if (auto left = pusher.pending(runtime.mirror)) report.unpushed = *left;
  return pushed && pushed->branch_moved;
}

// hooks.on_change for the cycle's commits and draft branch changes (and those of earlier cycles
// still waiting), once they are on the branch and, with repo.push, on the remote, under the ids
// they have there: started on the hook worker, which runs them beside the next passes.
void start_hooks(Runtime &runtime, const PassReport &report) {
  const Config &config = runtime.config;
  if (config.hooks.on_change.empty()) return;
  HookQueue &queue = runtime.memory->hooks;
  const std::string branch_ref = "refs/heads/" + config.repo.branch;
  for (const TaskOutcome &outcome : report.outcomes) {
    if (!outcome.commit_id.empty())
      queue.add({outcome.task.id, outcome.version, outcome.commit_id, runtime.mirror.work_tree(), branch_ref});
  }
  for (const DraftChange &change : report.drafts.changes) {
    const bool removed = change.kind == DraftChange::Kind::removed;
    queue.add({change.task_id, removed ? "" : "draft", change.commit_id, runtime.mirror.work_tree(), change.ref});
  }
  std::optional<std::string> remote_ref;
  if (config.repo.push) remote_ref = Pusher(config.repo).tracking_ref();
  // The push publishes the draft branches with the branch: when it succeeded (or found nothing
  // to send), the remote's draft branches are the mirror's.
  const bool drafts_published =
      !config.repo.push || report.push == PushOutcome::ok || report.push == PushOutcome::nothing;
  queue.start_due(config.hooks, runtime.mirror, branch_ref, remote_ref, drafts_published);
}

// GET /v1/task/{id}/draft for each of `tasks` (a draft-reading pass).
std::vector<DraftRead> read_drafts(Runtime &runtime, const std::vector<TaskEntry> &tasks, std::stop_token stop,
                                   std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  std::vector<std::string> ids;
  for (const TaskEntry &task : tasks)
    ids.push_back(task.id);
  auto answers = runtime.clients.pool->fetch_drafts(ids, stop, give_up_at);
  std::vector<DraftRead> reads;
  for (std::size_t i = 0; i < tasks.size(); ++i)
    reads.push_back({tasks[i], std::move(answers[i])});
  return reads;
}

// The branch tip, if the repository and the branch exist.
std::optional<git_oid> branch_tip(const Runtime &runtime) {
  git_oid tip;
  git_repository *repo = runtime.mirror.repository();
  const std::string ref = "refs/heads/" + runtime.config.repo.branch;
  if (!repo || git_reference_name_to_id(&tip, repo, ref.c_str()) != 0) return std::nullopt;
  return tip;
}

bool same_tip(const std::optional<git_oid> &a, const std::optional<git_oid> &b) {
  return a.has_value() == b.has_value() && (!a || git_oid_equal(&*a, &*b));
}

// With repo.drafts, the draft branches after the pass: the drafts it read, and the others moved
// to a new tip (this pass's commits, a push's replay, a person's commit since the last pass: the
// run remembers the tip they were built on); a pass that read no draft on an unmoved tip costs
// nothing.
void update_drafts(Runtime &runtime, const std::vector<DraftRead> &drafts, PassMode mode, PassReport &report) {
  if (!runtime.config.repo.drafts) return;
  const std::optional<git_oid> tip = branch_tip(runtime);
  if (drafts.empty() && same_tip(tip, runtime.memory->drafts_tip)) return;
  DraftReport update =
      update_draft_branches(runtime.mirror, runtime.config.repo, runtime.memory->names, runtime.config.tasks, drafts,
                            runtime.memory->healed_drafts.values(), mode);
  if (mode == PassMode::apply) {
    if (update.known) runtime.memory->drafts_tip = tip;
    for (const DraftChange &change : update.changes) {
      const std::string line = "task " + change.task_id + ": " + to_string(change.kind) + " " + change.ref;
      log::info(change.commit_id.empty() ? line : line + ", commit " + change.commit_id.substr(0, 12));
    }
  }
  merge_draft_reports(report.drafts, std::move(update));
}

// The end of an applying pass: its commits recorded on the branch (always, an interrupted pass's
// too), then, unless it was interrupted, the draft branches, the push and the start of the hooks;
// a stop during the push ends it and interrupts the pass. A push whose replay moved the branch
// is followed by the draft branches rebuilt on the new tip and a second push of them, so that a
// published draft is always one commit on the published branch.
void record_and_publish(Runtime &runtime, PassReport &report, std::stop_token stop,
                        const std::vector<DraftRead> &drafts = {}) {
  finish_pass(runtime.mirror, report);
  if (report.interrupted) return;
  if (report.record_error.empty()) update_drafts(runtime, drafts, PassMode::apply, report);
  if (push(runtime, report, stop) && report.record_error.empty() && !stop.stop_requested()) {
    update_drafts(runtime, {}, PassMode::apply, report);
    if (auto rebuilt = Pusher(runtime.config.repo).pending_drafts(runtime.mirror); rebuilt && *rebuilt > 0)
      push(runtime, report, stop);
  }
  report.interrupted = stop.stop_requested();
  if (report.interrupted) return;
  start_hooks(runtime, report);
}

} // namespace

PassReport run_cycle(Runtime &runtime, PassMode mode, std::stop_token stop, const Poller::Progress &progress,
                     std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  const Config &config = runtime.config;
  RunMemory &memory = *runtime.memory;
  const bool full_check = ++memory.passes % config.poll.full_check_every == 0;
  // Drafts are read on a run's first pass and on full checks, and for a task.healed that named no
  // mirrored task at most once per interval: other passes cost what they did.
  const bool scheduled_drafts = memory.passes == 1 || full_check;
  const auto started = std::chrono::steady_clock::now();
  const bool sweep = memory.every_draft_wanted &&
                     (!memory.every_draft_read || started - *memory.every_draft_read >= config.poll.interval);
  const bool drafts_due = config.repo.drafts && (scheduled_drafts || sweep);
  std::vector<TaskEntry> tasks = config.tasks;
  std::optional<TaskListing> listing;
  PassReport early;
  const std::optional<std::size_t> budget = list_budget(runtime);
  // HEAD's tasks/ as the pass starts: what the list is compared with, and as many tasks as the
  // list is expected to hold before a listing of this run says.
  std::optional<TasksTree> head;
  if (budget) {
    if (auto at_head = runtime.mirror.tasks_at_head()) head = std::move(*at_head);
    const long long expected = memory.listed_total.value_or(head ? static_cast<long long>(head->size()) : 0);
    auto read = read_task_list(*runtime.clients.api, runtime.clients.pool.get(), stop, give_up_at, *budget, expected);
    // With configured tasks a refused key is the first task's to report, as without the list.
    const bool rejected_quietly = !read && read.error().is_auth_failure() && !config.all_tasks;
    if (!read && !rejected_quietly && (read.error().is_auth_failure() || stop.stop_requested())) {
      early.api_key_rejected = read.error().is_auth_failure();
      early.interrupted = stop.stop_requested();
      early.problems.push_back(read.error().message);
      log::error(early.problems.back());
      return early;
    }
    if (read) {
      listing = std::move(*read);
      remember_listing(runtime, *listing);
      tasks = tasks_of_listing(config, runtime.mirror, *listing, early.problems);
    } else if (!rejected_quietly) {
      auto fallen_back = tasks_without_list(config, runtime.mirror, read.error(), early.problems);
      if (!fallen_back) return early;
      tasks = std::move(*fallen_back);
    }
  }
  std::vector<bool> shown_unchanged(tasks.size(), false); // what the list shows
  if (listing) {
    if (head) shown_unchanged = unchanged_by_list(tasks, *listing, *head, runtime.mirror, memory.head_digests);
  }
  head.reset(); // the pass takes its own copy (Poller::run_pass): not two held through it
  const std::vector<bool> skipped = full_check ? std::vector<bool>(tasks.size(), false) : shown_unchanged;
  std::vector<TaskEntry> to_fetch;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (!skipped[i]) to_fetch.push_back(tasks[i]);
  }

  PassReport report = runtime.clients.poller->run_pass(to_fetch, runtime.mirror, mode, stop, progress, give_up_at);
  report.problems.insert(report.problems.begin(), early.problems.begin(), early.problems.end());
  if (listing) {
    report.outcomes = in_config_order(tasks, skipped, std::move(report.outcomes), *listing);
    report.list_contradictions = list_contradictions(report.outcomes, shown_unchanged, *listing);
  }
  report.list_incomplete = config.all_tasks && listing && !listing->complete();
  if (config.all_tasks && listing && listing->complete() && !report.interrupted && !report.api_key_rejected) {
    handle_unlisted(runtime, *listing, mode, report);
  }
  std::vector<DraftRead> drafts;
  if (drafts_due && !report.interrupted && !report.api_key_rejected) {
    drafts = read_drafts(runtime, tasks, stop, give_up_at);
    memory.every_draft_wanted = false;
    if (!scheduled_drafts) memory.every_draft_read = started;
  }
  if (mode == PassMode::apply)
    record_and_publish(runtime, report, stop, drafts);
  else
    update_drafts(runtime, drafts, mode, report);
  return report;
}

PassReport run_task_pass(Runtime &runtime, const std::vector<TaskEntry> &tasks, const std::vector<TaskEntry> &drafts_of,
                         std::stop_token stop, const Poller::Progress &progress,
                         std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  PassReport report =
      runtime.clients.poller->run_pass(tasks, runtime.mirror, PassMode::apply, stop, progress, give_up_at);
  std::vector<DraftRead> drafts;
  if (runtime.config.repo.drafts && !drafts_of.empty() && !report.interrupted && !report.api_key_rejected)
    drafts = read_drafts(runtime, drafts_of, stop, give_up_at);
  record_and_publish(runtime, report, stop, drafts);
  return report;
}

} // namespace tasksync
