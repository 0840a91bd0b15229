#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "ops/bearer_token.hpp"
#include "ops/metrics.hpp"
#include "ops/status_server.hpp"
#include "run/cycle.hpp"
#include "run/runtime.hpp"
#include "service/health.hpp"
#include "service/webhook_requests.hpp"

namespace tasksync {

// What the service tells its supervisor: systemd's sd_notify in production.
class Supervisor {
public:
  virtual ~Supervisor() = default;
  // The config, key and repository are open.
  virtual void ready() = 0;
  // A one-line summary after each pass.
  virtual void status(const std::string &line) = 0;
  // The loop is making progress.
  virtual void watchdog() = 0;
  // Shutdown has begun.
  virtual void stopping() = 0;
  // How often watchdog() is due; nullopt when nobody watches.
  virtual std::optional<std::chrono::microseconds> watchdog_interval() const = 0;
};

// The long-running daemon: a pass every poll.interval (start to start, plus jitter) until
// stopped, config reloads between passes, health and metrics, and supervisor notifications.
// Between passes, passes of the few tasks webhooks named (run_task_pass); those do not move the
// next pass, count for poll.full_check_every or stand for a pass in /healthz (see
// HealthTracker::task_pass_finished) and tasksync_cycles_total.
class Service {
public:
  // Takes over an open runtime. `log_override` (from --log-level) survives reloads.
  Service(std::filesystem::path config_file, Runtime runtime, Supervisor &supervisor,
          std::optional<LogLevel> log_override);
  ~Service();

  // Starts the health and metrics endpoint when http.listen is set, with POST /sync when
  // http.sync_token_file is and POST /webhooks/anchorbrowser when http.webhook_secret_file is (a
  // token or secret that cannot be read is an error naming the file).
  Result<void> start_status_server();
  // Runs passes until `stop` is requested; returns after the pass in progress has finished
  // its current task and the index is written.
  void run(std::stop_token stop);
  // Re-reads the config file before the next pass (safe from any thread, e.g. on SIGHUP).
  void request_reload();
  // Starts a pass now (safe from any thread, e.g. on SIGUSR1, or POST /sync). During a pass it
  // asks for one more right after it, however often it is called: true then, false when the
  // loop was waiting. The next scheduled pass is poll.interval after the one it starts.
  bool request_pass();
  // Starts a pass of the event's task alone, when it is one this daemon mirrors (safe from any
  // thread: a webhook); for task.healed (with repo.drafts) the pass reads the task's draft too,
  // and the draft whose id is the event's healed_task_version_id is marked Task-Healed. Tasks
  // asked for while a pass runs are synced together right after it. A task.healed that names no
  // mirrored task (nor one in tasks_exclude) makes the next pass (not a task pass) read every
  // task's draft, at most once per poll.interval. With `tasks: all` a task is mirrored when the
  // last pass's list showed it (or, before the first pass and when the list could not be read,
  // when HEAD has it), tasks_exclude less.
  TaskPassRequest request_task_pass(const TaskEventRequest &request);
  // What GET /healthz answers.
  HealthReport health() const;

private:
  void reload();
  void wait_for_next_pass(std::chrono::steady_clock::time_point next, std::stop_token stop);
  void ping_watchdog_if_due();
  std::chrono::seconds jitter();
  void forget_metrics_of_unconfigured_tasks(const PassReport *report);
  void run_full_pass(std::chrono::steady_clock::time_point &next, std::stop_token stop, bool &interrupted);
  void run_requested_tasks(std::vector<TaskEntry> tasks, std::vector<TaskEntry> drafts_of,
                           std::chrono::steady_clock::time_point next, std::stop_token stop, bool &interrupted);
  void remember_mirrored(const PassReport *report);

  std::filesystem::path m_config_file;
  Runtime m_runtime;
  Supervisor &m_supervisor;
  std::optional<LogLevel> m_log_override;
  Metrics m_metrics;
  std::shared_ptr<BearerToken> m_sync_token;              // with http.sync_token_file
  std::shared_ptr<WebhookSignatureCheck> m_webhook_check; // with http.webhook_secret_file
  std::unique_ptr<StatusServer> m_status_server;
  std::chrono::steady_clock::time_point m_last_ping{};

  mutable std::mutex m_mutex;         // guards what other threads read or set below
  std::condition_variable_any m_wake; // a pass was requested
  bool m_reload_requested = false;
  bool m_pass_requested = false;
  WebhookRequests m_webhooks; // what webhooks asked for, and which tasks they may name
  bool m_pass_running = false;
  HealthTracker m_health;
  std::filesystem::path m_work_tree;
};

} // namespace tasksync
