#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "run/fetch_pool.hpp"
#include "run/list_entry.hpp"

namespace tasksync {

// The team's task list as one pass read it.
struct TaskListing {
  std::vector<ListEntry> tasks; // each ID once, in the order listed
  long long total = 0;          // what the API said it holds (page 1)
  // Empty when the read is complete: every page gave the same `total`, and the distinct tasks
  // read add up to it. Else why the read may lack tasks, e.g. "page 2 was empty".
  std::string incomplete_because;

  // True when the read is complete, so that a task it lacks is no longer listed.
  bool complete() const { return incomplete_because.empty(); }
};

// What an incomplete listing lacks and why: "read 100 distinct tasks of 120 (page 2 was empty)".
std::string shortfall(const TaskListing &listing);

// The list's page size: the most GET /v1/task allows.
inline constexpr int kListPageSize = 100;

// Reads GET /v1/task in waves of pages in parallel on `pool`'s workers (one after another on
// `api` when there is no pool): the first wave is page 1, which gives `total`, and the pages
// `expected_total` tasks would fill (as many as the pool has workers); then the pages the tasks
// not seen yet fill at the page size the server uses (the most tasks a page held, which may be
// fewer than asked), until `total` tasks are seen or a page adds nothing new. So every page
// after the first wave adds a task, and a misbehaving API cannot loop us: at most `total` pages
// and a wave. When the tasks need more than `max_pages` pages, reading stops after the first
// wave (a task not on it is then fetched from /latest, as the list does not show it). A read
// that stops short is incomplete, not an error; the error names the page that failed.
Result<TaskListing, FetchError> read_task_list(ApiClient &api, FetchPool *pool, std::stop_token stop = {},
                                               std::optional<std::chrono::steady_clock::time_point> give_up_at = {},
                                               std::size_t max_pages = std::numeric_limits<std::size_t>::max(),
                                               long long expected_total = 0);

} // namespace tasksync
