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

std::string shortfall(const TaskListing &listing) {
  return "read " + std::to_string(listing.tasks.size()) + " distinct tasks of " + std::to_string(listing.total) + " (" +
         listing.incomplete_because + ")";
}

Result<TaskListing, FetchError> read_task_list(ApiClient &api, FetchPool *pool, std::stop_token stop,
                                               std::optional<std::chrono::steady_clock::time_point> give_up_at,
                                               std::size_t max_pages, long long expected_total) {
  // In waves as wide as the pool, so a `total` that lies costs one wave past the end and the
  // pages in flight stay few.
  const std::size_t wave = pool ? std::max<std::size_t>(pool->size(), 1) : 1;
  const auto fetch_wave = [&](const std::vector<int> &pages) {
    if (pool) return pool->list_pages(pages, kListPageSize, stop, give_up_at);
    std::vector<Result<ListedPage, FetchError>> answers;
    for (const int page : pages)
      answers.push_back(read_listed_page(api, page, kListPageSize, stop, give_up_at));
    return answers;
  };
  const auto pages_for = [](long long tasks, std::size_t per_page) {
    const auto size = static_cast<long long>(per_page);
    return static_cast<std::size_t>((std::max(tasks, 1LL) + size - 1) / size);
  };

  // The first wave does not wait for page 1's `total`: it also asks the pages the expected total
  // needs, so a list of a few pages costs one round trip on connections opened side by side.
  std::vector<int> pages;
  const std::size_t guessed =
      std::min({pages_for(expected_total, kListPageSize), wave, std::max<std::size_t>(max_pages, 1)});
  for (std::size_t page = 1; page <= guessed; ++page)
    pages.push_back(static_cast<int>(page));
  TaskListing listing;
  std::set<std::string> seen;
  std::size_t per_page = 1; // the most tasks a page held: the server's page size, whatever was asked
  std::string ended;        // the first page that added nothing new, and how
  for (int next = static_cast<int>(guessed) + 1;;) {
    auto answers = fetch_wave(pages);
    for (std::size_t i = 0; i < pages.size(); ++i) {
      if (!answers[i]) return naming_page(answers[i].error(), pages[i]);
      ListedPage &page = *answers[i];
      // Page 1 leads the first wave: its total is the one the others must repeat.
      if (pages[i] == 1) listing.total = page.total;
      if (page.total != listing.total && listing.complete()) {
        listing.incomplete_because = "page 1 gave a total of " + std::to_string(listing.total) + ", page " +
                                     std::to_string(pages[i]) + " of " + std::to_string(page.total);
      }
      per_page = std::max(per_page, page.tasks.size());
      const bool empty = page.tasks.empty();
      if (add_page(listing, seen, page) == 0 && ended.empty())
        ended = "page " + std::to_string(pages[i]) + (empty ? " was empty" : " repeated tasks already read");
    }
    const long long unseen = listing.total - static_cast<long long>(seen.size());
    if (!ended.empty() || unseen <= 0) break;
    // Every page so far added a task: read on as far as the unseen tasks reach.
    const std::size_t pages_needed = static_cast<std::size_t>(next - 1) + pages_for(unseen, per_page);
    if (pages_needed > max_pages) {
      if (listing.complete())
        listing.incomplete_because = "it needs " + std::to_string(pages_needed) + " pages, more than this pass reads";
      return listing;
    }
    pages.clear();
    while (pages.size() < wave && static_cast<std::size_t>(next) <= pages_needed)
      pages.push_back(next++);
  }
  if (listing.complete() && static_cast<long long>(seen.size()) < listing.total) listing.incomplete_because = ended;
  if (listing.complete() && static_cast<long long>(seen.size()) > listing.total)
    listing.incomplete_because = "the pages hold more tasks than their total";
  return listing;
}

} // namespace tasksync
