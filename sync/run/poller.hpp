#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "api/client.hpp"
#include "render/commit_message.hpp"
#include "config/config.hpp"
#include "git/mirror.hpp"

namespace tasksync {

// What one pass did, or would do, for one task.
struct TaskOutcome {
  TaskEntry task;
  ChangeKind change = ChangeKind::unchanged;
  std::string version;                    // the API's version, when fetched
  std::string commit_id;                  // set when a commit was made
  std::string error;                      // set when the task failed; names the reason
  std::optional<FetchError> fetch_error;  // set when the failure was the fetch's
  double fetch_seconds = 0;               // time the API took to answer
  std::vector<FileChange> changes;        // dry runs: what the commit would change

  // True when the task could not be synced.
  bool failed() const { return !error.empty(); }
};

// The outcome of one pass over all configured tasks.
struct PassReport {
  std::vector<TaskOutcome> outcomes; // in config order
  bool api_key_rejected = false;     // a 401/403 ended the pass early
  bool interrupted = false;          // a stop request ended the pass early
  std::vector<std::string> problems; // failures of the pass as a whole: task list, index, push
  std::optional<std::size_t> unpushed; // with repo.push: commits the remote does not have yet

  // Number of tasks that failed.
  std::size_t failures() const;
  // Number of commits made.
  std::size_t commits() const;
};

// apply commits changes; dry_run only compares (the mirror may be read-only).
enum class PassMode { apply, dry_run };

// Fetches tasks with a pool of workers, one keep-alive API client each, and applies them to the
// mirror one at a time in config order, so history is deterministic whatever answers first.
class Poller {
public:
  // Called on the applying thread after each task (the service pings the watchdog from it).
  using Progress = std::function<void(const TaskOutcome &)>;

  // Starts `concurrency` workers; nothing is fetched until run_pass(). The workers' clients
  // pause together when the API asks one of them to slow down.
  static Result<std::unique_ptr<Poller>> create(const ApiSettings &settings, const std::string &api_key,
                                                std::size_t concurrency);
  // Cancels requests in flight and joins the workers.
  ~Poller();
  Poller(const Poller &) = delete;
  Poller &operator=(const Poller &) = delete;

  // One pass over `tasks`. A failing task is logged with its ID and reason and does not stop
  // the others; a rejected API key skips the rest; `stop` abandons fetches in flight and
  // returns after the task being applied, leaving the repository consistent.
  // Retries stop at `give_up_at` (the next pass's start), so one pass never runs into the next.
  PassReport run_pass(const std::vector<TaskEntry> &tasks, Mirror &mirror, PassMode mode,
                      std::stop_token stop = {}, const Progress &progress = {},
                      std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

private:
  struct Shared;
  Poller();
  void work(std::size_t worker);
  std::string label_for(const TaskEntry &task, std::stop_token stop);
  void apply_version(const TaskEntry &task, const TaskVersion &version, Mirror &mirror, PassMode mode,
                     std::stop_token stop, TaskOutcome &outcome);

  std::unique_ptr<Shared> m_shared;
  std::vector<std::jthread> m_workers;
};

} // namespace tasksync
