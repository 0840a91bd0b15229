#include "run/list_pass.hpp"

#include <algorithm>
#include <unordered_map>

#include "base/log.hpp"
#include "run/list_hint.hpp"

namespace tasksync {
namespace {

using ListedById = std::unordered_map<std::string, const ListEntry *>;

ListedById by_id(const TaskListing &listing) {
  ListedById listed;
  for (const ListEntry &task : listing.tasks)
    listed.emplace(task.id, &task);
  return listed;
}

} // namespace

std::vector<bool> unchanged_by_list(const std::vector<TaskEntry> &tasks, const TaskListing &listing,
                                    const TasksTree &head, const Mirror &mirror, HeadDigests &digests) {
  const ListedById listed = by_id(listing);
  std::vector<bool> unchanged(tasks.size(), false);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const auto entry = listed.find(tasks[i].id);
    unchanged[i] = entry != listed.end() && list_shows_head(*entry->second, head, mirror, digests);
  }
  digests.end_pass();
  return unchanged;
}

std::vector<TaskOutcome> in_config_order(const std::vector<TaskEntry> &tasks, const std::vector<bool> &unchanged,
                                         std::vector<TaskOutcome> fetched, const TaskListing &listing) {
  // A pass that fetched every task has them in order already (a full check: not two vectors of
  // 10,000 outcomes at once).
  if (std::find(unchanged.begin(), unchanged.end(), true) == unchanged.end()) return fetched;
  const ListedById listed = by_id(listing);
  std::vector<TaskOutcome> outcomes;
  outcomes.reserve(tasks.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (!unchanged[i]) {
      if (next < fetched.size()) outcomes.push_back(std::move(fetched[next++]));
      continue;
    }
    TaskOutcome &outcome = outcomes.emplace_back();
    outcome.task = tasks[i];
    const ListEntry &entry = *listed.at(tasks[i].id);
    outcome.version = entry.latest ? entry.latest->version : "";
    log::debug("task " + tasks[i].id + ": unchanged" +
               (outcome.version.empty() ? "" : " at version " + outcome.version) + " (as listed)");
  }
  return outcomes;
}

std::size_t list_contradictions(const std::vector<TaskOutcome> &outcomes, const std::vector<bool> &unchanged,
                                const TaskListing &listing) {
  const ListedById listed = by_id(listing);
  std::size_t count = 0;
  for (std::size_t i = 0; i < outcomes.size() && i < unchanged.size(); ++i) {
    const TaskOutcome &outcome = outcomes[i];
    const auto entry = listed.find(outcome.task.id);
    if (outcome.failed() || outcome.fetch_seconds == 0 || entry == listed.end()) continue;
    const ListEntry &task = *entry->second;
    std::string why;
    if (task.latest && !outcome.version.empty() && outcome.version != task.latest->version) {
      why = "the list showed version " + task.latest->version + ", /latest version " + outcome.version;
    } else if (unchanged[i] && outcome.change != ChangeKind::unchanged) {
      why = "the list showed it unchanged, /latest " + std::string(to_string(outcome.change)) + " it";
    }
    if (why.empty()) continue;
    ++count;
    log::debug("task " + outcome.task.id + ": /latest contradicted the list: " + why);
  }
  return count;
}

} // namespace tasksync
