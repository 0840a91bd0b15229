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
                                               std::size_t max_pages) {
  TaskListing listing;
  std::set<std::string> seen;
  auto answer = api.list_tasks(1, kListPageSize, stop, give_up_at);
  if (!answer) return naming_page(answer.error(), 1);
  ListedPage first = digest_page(std::move(*answer));
  listing.total = first.total;
  const std::size_t added = add_page(listing, seen, first);
  const auto pages_needed = static_cast<std::size_t>((std::max(listing.total, 1LL) + kListPageSize - 1) / kListPageSize);
  if (pages_needed > max_pages) {
    listing.complete = false;
    return listing;
  }
  // In waves as wide as the pool, so a `total` that lies costs one wave past the end and the
  // pages in flight stay few.
  const std::size_t wave = pool ? std::max<std::size_t>(pool->size(), 1) : 1;
  bool ended = added == 0;
  for (int next = 2; !ended && static_cast<long long>(seen.size()) < listing.total;) {
    std::vector<int> pages;
    while (pages.size() < wave && static_cast<std::size_t>(next) <= pages_needed) pages.push_back(next++);
    if (pages.empty()) break;
    std::vector<Result<ListedPage, FetchError>> answers;
    if (pool) {
      answers = pool->list_pages(pages, kListPageSize, stop, give_up_at);
    } else {
      for (const int page : pages) {
        auto listed = api.list_tasks(page, kListPageSize, stop, give_up_at);
        if (listed) answers.push_back(digest_page(std::move(*listed)));
        else answers.push_back(listed.error());
      }
    }
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (!answers[i]) return naming_page(answers[i].error(), pages[i]);
      if (add_page(listing, seen, *answers[i]) == 0) ended = true;
    }
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

Result<std::vector<TaskEntry>, FetchError> resolve_tasks(const Config &config, ApiClient &api, std::stop_token stop,
                                                         std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  if (!config.all_tasks) return config.tasks;
  TRY_ASSIGN(const TaskListing listing, read_task_list(api, nullptr, stop, give_up_at));
  return listed_tasks(config, listing);
}

} // namespace tasksync
