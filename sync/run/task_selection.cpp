#include "run/task_selection.hpp"

#include <algorithm>
#include <unordered_set>

#include "base/log.hpp"

namespace tasksync {
namespace {

bool by_id(const TaskEntry &a, const TaskEntry &b) { return a.id < b.id; }

} // namespace

bool excluded(const Config &config, const std::string &id) {
  return std::find(config.tasks_exclude.begin(), config.tasks_exclude.end(), id) != config.tasks_exclude.end();
}

std::vector<TaskEntry> listed_tasks(const Config &config, const TaskListing &listing) {
  std::vector<TaskEntry> tasks;
  for (const ListEntry &task : listing.tasks) {
    if (!excluded(config, task.id)) tasks.push_back({task.id, task.name});
  }
  std::sort(tasks.begin(), tasks.end(), by_id);
  return tasks;
}

Result<std::vector<std::string>> mirrored_unlisted(const Config &config, const Mirror &mirror,
                                                   const TaskListing &listing) {
  TRY_ASSIGN(const std::vector<std::string> mirrored, mirror.mirrored_tasks());
  std::unordered_set<std::string> listed;
  for (const ListEntry &task : listing.tasks)
    listed.insert(task.id);
  std::vector<std::string> unlisted;
  for (const std::string &id : mirrored) {
    if (!listed.contains(id) && !excluded(config, id)) unlisted.push_back(id);
  }
  return unlisted;
}

std::vector<TaskEntry> tasks_of_listing(const Config &config, const Mirror &mirror, const TaskListing &listing,
                                        std::vector<std::string> &problems) {
  if (!config.all_tasks) return config.tasks;
  std::vector<TaskEntry> tasks = listed_tasks(config, listing);
  if (listing.complete()) return tasks;
  // Nothing is lost, so not a problem of the pass: a list incomplete pass after pass shows in
  // tasksync_list_incomplete_total.
  std::string warning =
      "task list incomplete: " + shortfall(listing) + "; not treating any task as no longer listed this pass";
  auto lacking = mirrored_unlisted(config, mirror, listing);
  if (!lacking) {
    problems.push_back(lacking.error().message);
    log::error(problems.back());
    log::warning(warning);
    return tasks;
  }
  for (const std::string &id : *lacking)
    tasks.push_back({id, ""});
  std::sort(tasks.begin(), tasks.end(), by_id);
  if (!lacking->empty())
    warning += ", and fetching the " + std::to_string(lacking->size()) + " tasks mirrored that it lacks from /latest";
  log::warning(warning);
  return tasks;
}

std::optional<std::vector<TaskEntry>> tasks_without_list(const Config &config, const Mirror &mirror,
                                                         const FetchError &error, std::vector<std::string> &problems) {
  if (!config.all_tasks) {
    log::warning(error.message + "; fetching every task from /latest this pass");
    return config.tasks;
  }
  problems.push_back(error.message);
  auto mirrored = mirrored_unlisted(config, mirror);
  if (!mirrored) {
    log::error(problems.back());
    problems.push_back(mirrored.error().message);
    log::error(problems.back());
    return std::nullopt;
  }
  std::vector<TaskEntry> tasks;
  for (const std::string &id : *mirrored)
    tasks.push_back({id, ""});
  log::error(error.message + "; fetching the " + std::to_string(tasks.size()) +
             " tasks already mirrored from /latest this pass, so new tasks are not seen");
  return tasks;
}

Result<std::vector<TaskEntry>, FetchError>
resolve_tasks(const Config &config, ApiClient &api, std::stop_token stop,
              std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  if (!config.all_tasks) return config.tasks;
  TRY_ASSIGN(const TaskListing listing, read_task_list(api, nullptr, stop, give_up_at));
  if (!listing.complete())
    log::warning("task list incomplete: " + shortfall(listing) + "; a task it lacks is left out");
  return listed_tasks(config, listing);
}

std::optional<std::size_t> tasks_expected(const Config &config, std::optional<long long> listed_total) {
  if (!config.all_tasks) return config.tasks.size();
  if (listed_total) return static_cast<std::size_t>(std::max(*listed_total, 0LL));
  return std::nullopt;
}

std::optional<std::set<std::string>> configured_ids(const Config &config) {
  if (config.all_tasks) return std::nullopt;
  std::set<std::string> ids;
  for (const TaskEntry &task : config.tasks)
    ids.insert(task.id);
  return ids;
}

std::optional<std::set<std::string>> tasks_after_pass(const Config &config, const PassReport &report, Deleted deleted) {
  if (!config.all_tasks) return configured_ids(config);
  if (report.api_key_rejected || (report.outcomes.empty() && !report.problems.empty())) return std::nullopt;
  std::set<std::string> ids;
  for (const TaskOutcome &outcome : report.outcomes) {
    if (deleted == Deleted::counted || outcome.change != ChangeKind::deleted) ids.insert(outcome.task.id);
  }
  return ids;
}

std::set<std::string> mirrored_before_a_list(const Config &config, const Mirror &mirror) {
  if (auto configured = configured_ids(config)) return std::move(*configured);
  auto at_head = mirrored_unlisted(config, mirror);
  if (!at_head) {
    log::warning("webhooks: cannot read the tasks HEAD mirrors (" + at_head.error().message +
                 "); webhooks are ignored until a pass has read the team's list");
    return {};
  }
  return {at_head->begin(), at_head->end()};
}

std::vector<TaskEntry> named_tasks(const Config &config, const std::set<std::string> &ids) {
  std::vector<TaskEntry> tasks;
  for (const std::string &id : ids) {
    const auto configured =
        std::find_if(config.tasks.begin(), config.tasks.end(), [&](const TaskEntry &task) { return task.id == id; });
    tasks.push_back(configured != config.tasks.end() ? *configured : TaskEntry{id, ""});
  }
  return tasks;
}

std::string describe_tasks(const Config &config) {
  return config.all_tasks ? "all the team's tasks" : std::to_string(config.tasks.size()) + " tasks";
}

std::vector<std::string> tasks_summary(const Config &config) {
  std::vector<std::string> lines{config.all_tasks ? "tasks: all (listed from the API each pass), " +
                                                        std::to_string(config.tasks_exclude.size()) + " excluded"
                                                  : "tasks: " + std::to_string(config.tasks.size())};
  for (const TaskEntry &task : config.tasks)
    lines.push_back("  " + task.id + (task.name.empty() ? "" : "  " + task.name));
  return lines;
}

} // namespace tasksync
