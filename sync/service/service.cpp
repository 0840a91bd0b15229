#include "service/service.hpp"

#include <malloc.h>

#include <random>

#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "run/task_selection.hpp"
#include "secrets/http_secrets.hpp"

namespace tasksync {
namespace {

// How often the watchdog is fed while the loop makes progress: a quarter of its interval, so that
// the stretch of a pass that makes none (recording, then a push of up to
// repo.push.timeout_seconds, 60 s by default) fits in the rest of the unit's WatchdogSec=120s.
std::chrono::microseconds ping_period(std::chrono::microseconds interval) { return interval / 4; }

double unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration<double>(when.time_since_epoch()).count();
}

} // namespace

Service::Service(std::filesystem::path config_file, Runtime runtime, Supervisor &supervisor,
                 std::optional<LogLevel> log_override)
    : m_config_file(std::move(config_file)), m_runtime(std::move(runtime)), m_supervisor(supervisor),
      m_log_override(log_override), m_health(m_runtime.config.poll.interval),
      m_work_tree(m_runtime.mirror.work_tree()) {
  if (m_runtime.config.http.webhook_secret_file)
    m_webhooks.set_mirrored(mirrored_before_a_list(m_runtime.config, m_runtime.mirror));
  m_webhooks.follow(m_runtime.config);
  m_metrics.set_interval(m_runtime.config.poll.interval);
}

Service::~Service() {
  // First: its thread calls health() and request_pass(), which use the members declared after it.
  m_status_server.reset();
}

Result<void> Service::start_status_server() {
  const HttpSettings &http = m_runtime.config.http;
  if (!http.host) return {};
  TRY_ASSIGN(HttpSecrets secrets, load_http_secrets(http));
  SyncRoute sync;
  if (secrets.sync_token) {
    m_sync_token = std::make_shared<BearerToken>(std::move(*secrets.sync_token));
    sync = {m_sync_token, [this] { return request_pass(); }};
  }
  WebhookRoute webhook;
  if (secrets.webhook_secrets) {
    m_webhook_check = std::make_shared<WebhookSignatureCheck>(std::move(*secrets.webhook_secrets));
    webhook = {m_webhook_check, [this](const TaskEventRequest &request) { return request_task_pass(request); }};
  }
  TRY_ASSIGN(m_status_server, StatusServer::start(
                                  http, m_metrics, [this] { return health(); }, StatusServerLimits{}, std::move(sync),
                                  std::move(webhook)));
  log::info("serving /healthz and /metrics" + std::string(m_sync_token ? " and POST /sync" : "") +
            (m_webhook_check ? " and POST /webhooks/anchorbrowser" : "") + " on " + *http.host + ":" +
            std::to_string(http.port));
  return {};
}

void Service::request_reload() {
  std::lock_guard lock(m_mutex);
  m_reload_requested = true;
}

bool Service::request_pass() {
  std::lock_guard lock(m_mutex);
  m_pass_requested = true;
  m_wake.notify_all();
  return m_pass_running;
}

TaskPassRequest Service::request_task_pass(const TaskEventRequest &request) {
  std::lock_guard lock(m_mutex);
  const TaskPassRequest asked = m_webhooks.add(request, m_pass_running);
  if (asked == TaskPassRequest::started || asked == TaskPassRequest::queued) m_wake.notify_all();
  return asked;
}

void Service::remember_mirrored(const PassReport *report) {
  if (!m_webhook_check) return;
  auto mirrored = report ? tasks_after_pass(m_runtime.config, *report, Deleted::left_out)
                         : mirrored_before_a_list(m_runtime.config, m_runtime.mirror);
  if (!mirrored) return;
  std::lock_guard lock(m_mutex);
  m_webhooks.set_mirrored(std::move(*mirrored));
}

HealthReport Service::health() const {
  std::filesystem::path work_tree;
  {
    std::lock_guard lock(m_mutex);
    work_tree = m_work_tree;
  }
  // access(2) only: nothing is written to know it, and the probe never waits for a pass.
  const auto unwritable = repository_write_problem(work_tree);
  std::lock_guard lock(m_mutex);
  return m_health.report(std::chrono::system_clock::now(), unwritable);
}

void Service::forget_metrics_of_unconfigured_tasks(const PassReport *report) {
  const auto kept =
      report ? tasks_after_pass(m_runtime.config, *report, Deleted::counted) : configured_ids(m_runtime.config);
  if (kept) m_metrics.keep_only_tasks(*kept);
}

void Service::ping_watchdog_if_due() {
  const auto interval = m_supervisor.watchdog_interval();
  if (!interval) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - m_last_ping >= ping_period(*interval)) {
    m_supervisor.watchdog();
    m_last_ping = now;
  }
}

std::chrono::seconds Service::jitter() {
  const auto spread = m_runtime.config.poll.jitter.count();
  if (spread == 0) return std::chrono::seconds(0);
  static std::mt19937_64 random{std::random_device{}()};
  return std::chrono::seconds(std::uniform_int_distribution<std::int64_t>(0, spread)(random));
}

void Service::reload() {
  log::info("reloading " + m_config_file.string());
  auto reloaded = reload_runtime(m_config_file, m_runtime);
  if (!reloaded) {
    log::error(reloaded.error().message);
    return;
  }
  log::set_level(m_log_override.value_or(reloaded->runtime.config.log_level));
  m_runtime = std::move(reloaded->runtime);
  HttpSecrets &secrets = reloaded->http_secrets;
  if (m_sync_token && secrets.sync_token) m_sync_token->set(std::move(*secrets.sync_token));
  if (m_webhook_check && secrets.webhook_secrets) m_webhook_check->set_secrets(std::move(*secrets.webhook_secrets));
  {
    std::lock_guard lock(m_mutex);
    m_webhooks.follow(m_runtime.config);
    m_health.set_interval(m_runtime.config.poll.interval);
    m_work_tree = m_runtime.mirror.work_tree();
  }
  m_metrics.set_interval(m_runtime.config.poll.interval);
  forget_metrics_of_unconfigured_tasks(nullptr);
  remember_mirrored(nullptr);
  log::info("config reloaded: " + describe_tasks(m_runtime.config) + " every " +
            std::to_string(m_runtime.config.poll.interval.count()) + " s");
}

void Service::wait_for_next_pass(std::chrono::steady_clock::time_point next, std::stop_token stop) {
  std::unique_lock lock(m_mutex);
  while (!stop.stop_requested() && !m_pass_requested && !m_webhooks.tasks_asked() &&
         std::chrono::steady_clock::now() < next) {
    auto until = next;
    if (const auto interval = m_supervisor.watchdog_interval()) {
      until =
          std::min(until, std::chrono::steady_clock::now() +
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(ping_period(*interval)));
    }
    m_wake.wait_until(lock, stop, until, [this] { return m_pass_requested || m_webhooks.tasks_asked(); });
    lock.unlock();
    ping_watchdog_if_due();
    lock.lock();
  }
}

void Service::run_full_pass(std::chrono::steady_clock::time_point &next, std::stop_token stop, bool &interrupted) {
  const auto started = std::chrono::steady_clock::now();
  {
    // Requests until now are served by this pass; those made during it, by one pass after it.
    std::lock_guard lock(m_mutex);
    m_pass_requested = false;
    m_pass_running = true;
    m_health.pass_started(std::chrono::system_clock::now(),
                          tasks_expected(m_runtime.config, m_runtime.memory->listed_total));
  }
  const PassReport report = run_cycle(
      m_runtime, PassMode::apply, stop,
      [this](const TaskOutcome &) {
        {
          std::lock_guard lock(m_mutex);
          m_health.task_done(std::chrono::system_clock::now());
        }
        ping_watchdog_if_due();
      },
      started + m_runtime.config.poll.interval);
  const auto finished = std::chrono::system_clock::now();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  if (report.interrupted) {
    interrupted = true;
    return;
  }
  m_metrics.record_pass(report, took.count(), unix_seconds(finished));
  m_metrics.record_api_notices(m_runtime.memory->notices->all());
  forget_metrics_of_unconfigured_tasks(&report);
  remember_mirrored(&report);
  {
    std::lock_guard lock(m_mutex);
    m_pass_running = false;
    m_health.pass_finished(report, finished);
  }
  const auto wait = m_runtime.config.poll.interval + jitter();
  next = started + wait;
  const auto steady_now = std::chrono::steady_clock::now();
  const auto next_wall = finished + std::chrono::duration_cast<std::chrono::system_clock::duration>(next - steady_now);
  // A pass that outlasted the interval is followed at once: its start time is already past.
  const std::string next_pass = next <= steady_now ? "next pass now (this one took longer than the interval)"
                                                   : "next pass at " + utc_time_of_day(unix_seconds_of(next_wall));
  const std::string summary = report.counts() + "; " + next_pass;
  log::info("pass finished in " + std::to_string(static_cast<long>(took.count() * 1000)) + " ms: " + summary);
  m_supervisor.status(summary);
  ping_watchdog_if_due();
  // A pass frees what it allocated, but glibc keeps freed memory (and thread arenas) mapped:
  // hand it back, so a daemon that runs for months stays at its working size.
  ::malloc_trim(0);
}

void Service::run_requested_tasks(std::vector<TaskEntry> tasks, std::vector<TaskEntry> drafts_of,
                                  std::chrono::steady_clock::time_point next, std::stop_token stop, bool &interrupted) {
  const auto started = std::chrono::steady_clock::now();
  // Retries stop when the next pass is due, so that a webhook's task never delays it.
  const PassReport report = run_task_pass(
      m_runtime, tasks, drafts_of, stop, [this](const TaskOutcome &) { ping_watchdog_if_due(); }, next);
  if (report.interrupted) {
    interrupted = true;
    return;
  }
  const auto finished = std::chrono::system_clock::now();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  m_metrics.record_task_pass(report, unix_seconds(finished));
  {
    std::lock_guard lock(m_mutex);
    m_pass_running = false;
    m_health.task_pass_finished(report, finished);
  }
  log::info("tasks named by webhooks synced in " + std::to_string(static_cast<long>(took.count() * 1000)) +
            " ms: " + report.counts());
  ping_watchdog_if_due();
}

void Service::run(std::stop_token stop) {
  m_supervisor.ready();
  log::info("polling " + describe_tasks(m_runtime.config) + " every " +
            std::to_string(m_runtime.config.poll.interval.count()) + " s into " +
            m_runtime.mirror.work_tree().string());
  auto next = std::chrono::steady_clock::now(); // the first pass at once
  bool interrupted = false;
  while (!stop.stop_requested() && !interrupted) {
    bool reload_now = false;
    {
      std::lock_guard lock(m_mutex);
      std::swap(reload_now, m_reload_requested);
    }
    if (reload_now) reload();

    // A pass that is due or asked for goes first; tasks webhooks asked for meanwhile wait for it.
    WebhookRequests::Tasks asked;
    bool full = false;
    {
      std::lock_guard lock(m_mutex);
      full = m_pass_requested || std::chrono::steady_clock::now() >= next;
      if (!full && m_webhooks.tasks_asked()) {
        asked = m_webhooks.take_tasks();
        m_pass_running = !asked.tasks.empty();
      }
      if (full || !asked.tasks.empty()) m_webhooks.hand_over_drafts(*m_runtime.memory);
    }
    if (full) {
      run_full_pass(next, stop, interrupted);
    } else if (!asked.tasks.empty()) {
      run_requested_tasks(named_tasks(m_runtime.config, asked.tasks), named_tasks(m_runtime.config, asked.drafts_of),
                          next, stop, interrupted);
    }
    if (!interrupted) wait_for_next_pass(next, stop);
  }
  m_supervisor.stopping();
  log::info("stopping");
}

} // namespace tasksync
