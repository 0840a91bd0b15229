#include "run/task_list.hpp"

#include <algorithm>
#include <set>

namespace tasksync {
namespace {

FetchError naming_page(FetchError error, int page) {
  error.message = "listing the team's tasks (page " + std::to_string(page) + "): " + error.message;
  return error;
}

// Adds a page's tasks not seen yet; the number added.
std::size_t add_page(TaskListing &listing, std::set<std::string> &seen, ListedPage &page) {
  std::size_t added = 0;
  for (ListEntry &task : page.tasks) {
    if (!seen.insert(task.id).second) continue;
    listing.tasks.push_back(std::move(task));
    ++added;
  }
  return added;
}

} // namespace

Result<TaskListing, FetchError> read_task_list(ApiClient &api, FetchPool *pool, std::stop_token stop,
                                               std::optional<std::chrono::steady_clock::time_point> give_up_at,
                                               std::size_t max_pages, long long expected_total) {
  // In waves as wide as the pool, so a `total` that lies costs one wave past the end and the
  // pages in flight stay few.
  const std::size_t wave = pool ? std::max<std::size_t>(pool->size(), 1) : 1;
  const auto fetch_wave = [&](const std::vector<int> &pages) {
    if (pool) return pool->list_pages(pages, kListPageSize, stop, give_up_at);
    std::vector<Result<ListedPage, FetchError>> answers;
    for (const int page : pages) {
      auto listed = api.list_tasks(page, kListPageSize, stop, give_up_at);
      if (listed)
        answers.push_back(digest_page(std::move(*listed)));
      else
        answers.push_back(listed.error());
    }
    return answers;
  };
  const auto pages_for = [](long long tasks) {
    return static_cast<std::size_t>((std::max(tasks, 1LL) + kListPageSize - 1) / kListPageSize);
  };

  // The first wave does not wait for page 1's `total`: it also asks the pages the expected total
  // needs, so a list of a few pages costs one round trip on connections opened side by side.
  std::vector<int> pages;
  const std::size_t guessed = std::min({pages_for(expected_total), wave, std::max<std::size_t>(max_pages, 1)});
  for (std::size_t page = 1; page <= guessed; ++page)
    pages.push_back(static_cast<int>(page));
  TaskListing listing;
  std::set<std::string> seen;
  bool ended = false;
  for (int next = static_cast<int>(guessed) + 1; !pages.empty();) {
    auto answers = fetch_wave(pages);
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (!answers[i]) return naming_page(answers[i].error(), pages[i]);
      if (pages[i] == 1) listing.total = answers[i]->total;
      if (add_page(listing, seen, *answers[i]) == 0) ended = true;
    }
    const std::size_t pages_needed = pages_for(listing.total);
    if (pages_needed > max_pages) return listing;
    pages.clear();
    if (ended || static_cast<long long>(seen.size()) >= listing.total) break;
    while (pages.size() < wave && static_cast<std::size_t>(next) <= pages_needed)
      pages.push_back(next++);
  }
  return listing;
}

std::vector<TaskEntry> listed_tasks(const Config &config, const TaskListing &listing) {
  const std::set<std::string> excluded(config.tasks_exclude.begin(), config.tasks_exclude.end());
  std::vector<TaskEntry> tasks;
  for (const ListEntry &task : listing.tasks) {
    if (!excluded.contains(task.id)) tasks.push_back({task.id, task.name});
  }
  std::sort(tasks.begin(), tasks.end(), [](const TaskEntry &a, const TaskEntry &b) { return a.id < b.id; });
  return tasks;
}

Result<std::vector<TaskEntry>, FetchError>
resolve_tasks(const Config &config, ApiClient &api, std::stop_token stop,
              std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  if (!config.all_tasks) return config.tasks;
  TRY_ASSIGN(const TaskListing listing, read_task_list(api, nullptr, stop, give_up_at));
  return listed_tasks(config, listing);
}

} // namespace tasksync
