#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/timestamp.hpp"

namespace tasksync {

// One entry of GET /v1/task/{id}/versions.
struct VersionInfo {
  std::string version; // "draft" or a number
  std::string created_at;
  std::string updated_at;
  Timestamp created;
};

// GET /v1/task/{id}: what the daemon uses of a task's metadata.
struct TaskInfo {
  std::string id;
  std::string name;
  bool deleted = false;
};

// What a list entry says of a task's latest version: enough to tell that it has not changed,
// never what is written (only /latest is).
struct ListedVersion {
  std::string version; // latestVersion
  std::string code;    // decoded
  std::optional<std::string> language;
  std::optional<std::string> browser_configuration; // its JSON text (no Document per entry: a page holds 100)
};

// One task of a GET /v1/task page, with what it says of the latest version as `Latest`: the
// entry as parsed here (ListedVersion), or reduced further by whoever keeps the page.
template <class Latest> struct ListedTaskOf {
  std::string id; // lower-case UUID
  std::string name;
  bool deleted = false;
  std::optional<Latest> latest{}; // none when the entry lacks or garbles these fields
};

// One page of GET /v1/task?page=P&limit=L, its tasks' latest versions as `Latest`.
template <class Latest> struct TaskPageOf {
  std::vector<ListedTaskOf<Latest>> tasks{};
  long long total = 0;
};

// A task of the list as parsed.
using ListedTask = ListedTaskOf<ListedVersion>;

// Receives each task of a list page as it is parsed.
using ListedTaskSink = std::function<void(ListedTask)>;

// Parses a versions list for `task_id`; versions must be "draft", "latest" or digits, since
// each one goes into a request path.
Result<std::vector<VersionInfo>> parse_version_list(std::string body, std::string_view task_id);

// Parses a task's metadata; `id` must be `task_id`; a missing or empty name gives "".
Result<TaskInfo> parse_task_info(std::string body, std::string_view task_id);

// Parses one page of the task list, handing each task to `take` as soon as it is read (so that a
// page of 100 never holds 100 decoded codes at once); returns the list's total. Every ID must be
// a UUID; on an error, the tasks already handed over are the caller's to drop.
Result<long long> parse_task_page(std::string body, const ListedTaskSink &take);

} // namespace tasksync
