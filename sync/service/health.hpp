#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ops/status_server.hpp"
#include "run/pass_report.hpp"

namespace tasksync {

// Why the repository could not take a pass's commits now, without writing anything: the
// directories a pass writes (.git, its objects/pack and refs/heads, and tasks/ of the work tree
// when it exists) must be writable by this process (access(2), which also sees a read-only
// mount). nullopt when they all are.
std::optional<std::string> repository_write_problem(const std::filesystem::path &work_tree);

// What /healthz says, from what the service saw of its passes: `ok` (200) only when the last pass
// finished within 3 intervals, the key was accepted, a task synced or all were unchanged, the
// repository is writable and pushes have not been failing for longer than 3 intervals; else 503
// with `starting` (no pass finished yet, the first one is running and getting on), `degraded`
// (tasks sync, but something is wrong) or `failing` (nothing syncs), and the reasons.
// Not thread-safe: the service guards it.
class HealthTracker {
public:
  using Clock = std::chrono::system_clock;

  // `interval`: poll.interval_seconds.
  explicit HealthTracker(std::chrono::seconds interval);

  // poll.interval_seconds changed (a reload).
  void set_interval(std::chrono::seconds interval);
  // A pass began at `now`; `tasks` is how many it will go through, when known.
  void pass_started(Clock::time_point now, std::optional<std::size_t> tasks);
  // A task of the running pass was done (synced, unchanged or failed) at `now`.
  void task_done(Clock::time_point now);
  // The running pass ended at `now` with `report`.
  void pass_finished(const PassReport &report, Clock::time_point now);
  // A pass of the few tasks webhooks named ended at `now`: whether it could record and push
  // counts, but it is not "the last pass": the age, the tasks and the failures /healthz reports
  // stay the last full pass's, so that one task synced on demand hides no other failing, and a
  // stream of webhooks cannot stand in for passes that stopped.
  void task_pass_finished(const PassReport &report, Clock::time_point now);

  // The answer at `now`; `unwritable` is repository_write_problem()'s verdict.
  HealthReport report(Clock::time_point now, const std::optional<std::string> &unwritable) const;

private:
  void note_record_and_push(const PassReport &report, Clock::time_point now);

  /// The pass in progress.
  struct RunningPass {
    Clock::time_point started;
    Clock::time_point last_progress;
    std::size_t done = 0;
    std::optional<std::size_t> tasks;
  };
  /// What the last finished pass showed.
  struct FinishedPass {
    Clock::time_point ended;
    std::size_t tasks = 0;
    std::size_t failed = 0;
    std::optional<int> key_rejected_status; // 401 or 403 when the key was refused
    std::vector<std::string> failed_tasks;  // "task ID: reason", the first few
    std::vector<std::string> problems;      // of the pass as a whole, but for record and push
  };

  std::chrono::seconds m_interval;
  std::optional<RunningPass> m_running;
  std::optional<FinishedPass> m_last;
  std::string m_record_error;                            // the last recording that failed, until one succeeds
  std::optional<Clock::time_point> m_push_failing_since; // the first failure of the pushes failing now
  std::string m_push_error;
};

} // namespace tasksync
