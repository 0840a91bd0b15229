#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "config/config.hpp"
#include "git/mirror.hpp"
#include "run/pass_report.hpp"
#include "run/task_list.hpp"

// Which tasks a run covers, decided here alone for passes, webhooks, backfill and --check-config:
// the configured list; or with `tasks: all` the team's list less tasks_exclude, and, when the list
// cannot be read or may lack tasks, the tasks HEAD mirrors less tasks_exclude.
namespace tasksync {

// True when tasks_exclude names `id` (a task `tasks: all` leaves out on purpose).
bool excluded(const Config &config, const std::string &id);

// The tasks a pass covers with `tasks: all`: every listed task less `tasks_exclude`, named as
// listed, sorted by ID so the order of commits does not depend on the API's paging.
std::vector<TaskEntry> listed_tasks(const Config &config, const TaskListing &listing);

// The IDs of the tasks HEAD mirrors that `listing` lacks, less tasks_exclude, in HEAD's order:
// with an empty listing every task mirrored (what is fetched when the list cannot be read).
Result<std::vector<std::string>> mirrored_unlisted(const Config &config, const Mirror &mirror,
                                                   const TaskListing &listing = {});

// The tasks a pass covers once it has read `listing`: the configured ones; or listed_tasks(),
// and when the read may lack tasks (TaskListing::complete()), the tasks HEAD mirrors that it
// lacks too, sorted by ID, to be fetched from /latest so that no change to them is missed. Says
// so in one warning; a HEAD that cannot be read is a problem of the pass (added to `problems`).
std::vector<TaskEntry> tasks_of_listing(const Config &config, const Mirror &mirror, const TaskListing &listing,
                                        std::vector<std::string> &problems);

// The tasks a pass covers when the list could not be read (`error`: an error, or a 404 once the
// endpoint is retired), each fetched from /latest and said once: the configured ones; or with
// `tasks: all` those HEAD mirrors less tasks_exclude, the list reported as a problem (a new task
// cannot be seen). Nullopt when there is nothing to fall back on (HEAD cannot be read).
std::optional<std::vector<TaskEntry>> tasks_without_list(const Config &config, const Mirror &mirror,
                                                         const FetchError &error, std::vector<std::string> &problems);

// The tasks a pass covers: the configured list; or, with `tasks: all`, listed_tasks() of the
// whole list read on `api` (a warning says when the read was incomplete).
Result<std::vector<TaskEntry>, FetchError>
resolve_tasks(const Config &config, ApiClient &api, std::stop_token stop = {},
              std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

// How many tasks a pass will go through, when it is known before the list is read (with
// `tasks: all`, `listed_total`: the list's size when last read).
std::optional<std::size_t> tasks_expected(const Config &config, std::optional<long long> listed_total);

// The IDs of the configured tasks; nullopt with `tasks: all`.
std::optional<std::set<std::string>> configured_ids(const Config &config);

// Whether tasks_after_pass() counts the tasks the pass deleted.
enum class Deleted { counted, left_out };

// The tasks a finished pass showed `config` covers: the configured ones; with `tasks: all` those
// it went through (the list's, or what HEAD mirrors when it fell back on that), `deleted` ones as
// said. Nullopt when it has seen nothing (its key was refused, or it failed before any task), so
// that what was known stands.
std::optional<std::set<std::string>> tasks_after_pass(const Config &config, const PassReport &report, Deleted deleted);

// The tasks a webhook may name before a pass has shown the team's list: the configured ones, or
// with `tasks: all` those HEAD mirrors less tasks_exclude (none, with a warning, when HEAD cannot
// be read).
std::set<std::string> mirrored_before_a_list(const Config &config, const Mirror &mirror);

// The tasks a pass of `ids` (named by webhooks) goes through, in the order of `ids`: each as
// configured (with its name), else by its ID alone.
std::vector<TaskEntry> named_tasks(const Config &config, const std::set<std::string> &ids);

// What the log calls the tasks `config` covers: "all the team's tasks" or "N tasks".
std::string describe_tasks(const Config &config);

// What --check-config prints of the tasks `config` covers: "tasks: all (listed from the API each
// pass), N excluded" or "tasks: N", then a line per configured task ("  ID  name").
std::vector<std::string> tasks_summary(const Config &config);

} // namespace tasksync
