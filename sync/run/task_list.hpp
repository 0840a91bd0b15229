#pragma once

#include <chrono>
#include <optional>
#include <stop_token>
#include <vector>

#include "api/client.hpp"
#include "config/config.hpp"

namespace tasksync {

// The tasks a pass covers: the configured list; or, with `tasks: all`, every task the API lists
// for the team (pages of 100 until `total` are seen or a page comes back empty), less
// `tasks_exclude`, sorted by ID so the order of commits does not depend on the API's paging.
Result<std::vector<TaskEntry>, FetchError> resolve_tasks(const Config &config, ApiClient &api, std::stop_token stop = {},
                                                         std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

} // namespace tasksync
