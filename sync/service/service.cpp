#include "service/service.hpp"

#include <malloc.h>

#include <ctime>
#include <random>
#include <set>

#include "base/log.hpp"
#include "config/sync_token.hpp"
#include "config/webhook_secret.hpp"

namespace tasksync {
namespace {

// How often the watchdog is fed while the loop makes progress: a quarter of its interval, so that
// the stretch of a pass that makes none (recording, then a push of up to
// repo.push.timeout_seconds, 60 s by default) fits in the rest of the unit's WatchdogSec=120s.
std::chrono::microseconds ping_period(std::chrono::microseconds interval) { return interval / 4; }

std::string clock_time(std::chrono::system_clock::time_point when) {
  const std::time_t time = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%H:%M:%S UTC", &tm);
  return buffer;
}

std::string describe_tasks(const Config &config) {
  return config.all_tasks ? "all the team's tasks" : std::to_string(config.tasks.size()) + " tasks";
}

double unix_seconds(std::chrono::system_clock::time_point when) {
  return std::chrono::duration<double>(when.time_since_epoch()).count();
}

// How many tasks a pass will go through, when it is known before the list is read.
std::optional<std::size_t> expected_tasks(const Runtime &runtime) {
  if (!runtime.config.all_tasks) return runtime.config.tasks.size();
  if (const auto total = runtime.memory->listed_total) return static_cast<std::size_t>(std::max(*total, 0LL));
  return std::nullopt;
}

bool excluded(const Config &config, const std::string &id) {
  return std::find(config.tasks_exclude.begin(), config.tasks_exclude.end(), id) != config.tasks_exclude.end();
}

// The tasks a webhook may ask for before a pass has shown the team's list: the configured ones,
// or with `tasks: all` those HEAD has (less tasks_exclude).
std::set<std::string> mirrored_before_a_list(const Runtime &runtime) {
  std::set<std::string> mirrored;
  const Config &config = runtime.config;
  if (!config.all_tasks) {
    for (const TaskEntry &task : config.tasks)
      mirrored.insert(task.id);
    return mirrored;
  }
  auto at_head = runtime.mirror.mirrored_tasks();
  if (!at_head) {
    log::warning("webhooks: cannot read the tasks HEAD mirrors (" + at_head.error().message +
                 "); webhooks are ignored until a pass has read the team's list");
    return mirrored;
  }
  for (const std::string &id : *at_head) {
    if (!excluded(config, id)) mirrored.insert(id);
  }
  return mirrored;
}

} // namespace

Service::Service(std::filesystem::path config_file, Runtime runtime, Supervisor &supervisor,
                 std::optional<LogLevel> log_override)
    : m_config_file(std::move(config_file)), m_runtime(std::move(runtime)), m_supervisor(supervisor),
      m_log_override(log_override), m_health(m_runtime.config.poll.interval),
      m_work_tree(m_runtime.mirror.work_tree()) {
  if (m_runtime.config.http.webhook_secret_file) m_mirrored = mirrored_before_a_list(m_runtime);
  m_excluded = {m_runtime.config.tasks_exclude.begin(), m_runtime.config.tasks_exclude.end()};
  m_drafts = m_runtime.config.repo.drafts;
  m_metrics.set_interval(m_runtime.config.poll.interval);
}

Service::~Service() {
  // First: its thread calls health() and request_pass(), which use the members declared after it.
  m_status_server.reset();
}

Result<void> Service::start_status_server() {
  const HttpSettings &http = m_runtime.config.http;
  if (!http.host) return {};
  SyncRoute sync;
  if (http.sync_token_file) {
    TRY_ASSIGN(auto token, load_sync_token(*http.sync_token_file));
    m_sync_token = std::make_shared<BearerToken>(std::move(token));
    sync = {m_sync_token, [this] { return request_pass(); }};
  }
  WebhookRoute webhook;
  if (http.webhook_secret_file) {
    TRY_ASSIGN(auto secrets, load_webhook_secrets(*http.webhook_secret_file));
    m_webhook_check = std::make_shared<WebhookSignatureCheck>(std::move(secrets));
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
  const bool healed = request.healed && m_drafts;
  if (healed && request.healed_version_id) {
    m_healed_ids.push_back(*request.healed_version_id);
    if (m_healed_ids.size() > kMostHealedDrafts) m_healed_ids.pop_front();
  }
  if (request.task_id && m_mirrored.count(*request.task_id) > 0) {
    m_tasks_requested.insert(*request.task_id);
    if (healed) m_drafts_requested.insert(*request.task_id);
    m_wake.notify_all();
    return m_pass_running ? TaskPassRequest::queued : TaskPassRequest::started;
  }
  // A task excluded on purpose is known not to be mirrored; any other may be one under an ID
  // tasksyncd does not know (the docs do not say which ID events carry).
  if (!healed || (request.task_id && m_excluded.count(*request.task_id) > 0)) return TaskPassRequest::not_mirrored;
  m_every_draft_wanted = true;
  return TaskPassRequest::every_draft;
}

// On the loop's thread, before a pass of either kind: what task.healed events asked of drafts
// since the last one joins what the run remembers.
void Service::hand_over_draft_requests() {
  std::deque<std::string> healed;
  bool every = false;
  {
    std::lock_guard lock(m_mutex);
    std::swap(healed, m_healed_ids);
    std::swap(every, m_every_draft_wanted);
  }
  RunMemory &memory = *m_runtime.memory;
  for (const std::string &id : healed)
    memory.healed_drafts.add(id);
  if (every) memory.every_draft_wanted = true;
}

void Service::remember_mirrored(const PassReport *report) {
  if (!m_webhook_check) return;
  std::set<std::string> mirrored;
  if (!report || !m_runtime.config.all_tasks) {
    mirrored = mirrored_before_a_list(m_runtime);
  } else {
    // As for the metrics: a pass that saw the list (or fell back on HEAD) names every task
    // synced now; one whose key was refused has seen nothing.
    if (report->api_key_rejected || (report->outcomes.empty() && !report->problems.empty())) return;
    for (const TaskOutcome &outcome : report->outcomes) {
      if (outcome.change != ChangeKind::deleted) mirrored.insert(outcome.task.id);
    }
  }
  std::lock_guard lock(m_mutex);
  m_mirrored = std::move(mirrored);
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
  const Config &config = m_runtime.config;
  std::set<std::string> kept;
  if (!config.all_tasks) {
    for (const TaskEntry &task : config.tasks)
      kept.insert(task.id);
  } else if (report) {
    // A pass that saw the team's list (or fell back on what HEAD mirrors) names every task
    // synced now; one whose key was refused has seen nothing, and forgets nothing.
    if (report->api_key_rejected || (report->outcomes.empty() && !report->problems.empty())) return;
    for (const TaskOutcome &outcome : report->outcomes)
      kept.insert(outcome.task.id);
  } else {
    return;
  }
  m_metrics.keep_only_tasks(kept);
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
  auto settings = load_runtime_settings(m_config_file, *m_runtime.memory);
  if (!settings) {
    log::error("config reload failed, keeping the previous config: " + settings.error().message);
    return;
  }
  Config &config = settings->config;
  // The token is read again like the key, so that replacing the file's content needs no restart
  // (from the file in force: http.* changes wait for a restart).
  std::optional<std::string> sync_token;
  if (m_sync_token && m_runtime.config.http.sync_token_file) {
    auto token = load_sync_token(*m_runtime.config.http.sync_token_file);
    if (!token) {
      log::error("config reload failed, keeping the previous config: " + token.error().message);
      return;
    }
    sync_token = std::move(*token);
  }
  std::optional<std::vector<std::string>> webhook_secrets;
  if (m_webhook_check && m_runtime.config.http.webhook_secret_file) {
    auto secrets = load_webhook_secrets(*m_runtime.config.http.webhook_secret_file);
    if (!secrets) {
      log::error("config reload failed, keeping the previous config: " + secrets.error().message);
      return;
    }
    webhook_secrets = std::move(*secrets);
  }
  std::optional<Mirror> mirror;
  const RepoSettings &before = m_runtime.config.repo;
  if (config.repo.path != before.path || config.repo.branch != before.branch ||
      config.repo.author_name != before.author_name || config.repo.author_email != before.author_email) {
    // A path that is gone or not there yet is another repository (the error_code overload: a
    // missing path must not throw out of the reload).
    std::error_code missing;
    if (std::filesystem::equivalent(config.repo.path, before.path, missing)) {
      log::error("config reload: a new branch or author for the same repository takes effect at the next restart; "
                 "keeping the previous config");
      return;
    }
    auto opened = Mirror::open(config.repo, Mirror::Access::read_write);
    if (!opened) {
      log::error("config reload failed, keeping the previous config: " + opened.error().message);
      return;
    }
    mirror.emplace(std::move(*opened));
  }
  if (config.http != m_runtime.config.http) {
    log::warning(
        "http.listen, http.sync_token_file and http.webhook_secret_file changes take effect at the next restart");
    config.http = m_runtime.config.http;
  }
  log::set_level(m_log_override.value_or(config.log_level));
  m_runtime.clients = std::move(settings->clients);
  if (mirror) m_runtime.mirror = std::move(*mirror);
  m_runtime.mirror.sign_with(std::move(settings->signer));
  m_runtime.config = std::move(config);
  m_runtime.key = std::move(settings->key);
  {
    std::lock_guard lock(m_mutex);
    m_drafts = m_runtime.config.repo.drafts;
    m_excluded = {m_runtime.config.tasks_exclude.begin(), m_runtime.config.tasks_exclude.end()};
  }
  if (sync_token) m_sync_token->set(std::move(*sync_token));
  if (webhook_secrets) m_webhook_check->set_secrets(std::move(*webhook_secrets));
  {
    std::lock_guard lock(m_mutex);
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
  while (!stop.stop_requested() && !m_pass_requested && m_tasks_requested.empty() &&
         std::chrono::steady_clock::now() < next) {
    auto until = next;
    if (const auto interval = m_supervisor.watchdog_interval()) {
      until =
          std::min(until, std::chrono::steady_clock::now() +
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(ping_period(*interval)));
    }
    m_wake.wait_until(lock, stop, until, [this] { return m_pass_requested || !m_tasks_requested.empty(); });
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
    m_health.pass_started(std::chrono::system_clock::now(), expected_tasks(m_runtime));
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
                                                   : "next pass at " + clock_time(next_wall);
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
    std::set<std::string> requested;
    std::set<std::string> drafts_requested;
    bool full = false;
    {
      std::lock_guard lock(m_mutex);
      full = m_pass_requested || std::chrono::steady_clock::now() >= next;
      if (!full && !m_tasks_requested.empty()) {
        for (const std::string &id : m_tasks_requested) {
          if (m_mirrored.count(id) > 0) requested.insert(id); // a reload may have dropped it
        }
        std::swap(drafts_requested, m_drafts_requested);
        m_tasks_requested.clear();
        m_pass_running = !requested.empty();
      }
    }
    if (full || !requested.empty()) hand_over_draft_requests();
    if (full) {
      run_full_pass(next, stop, interrupted);
    } else if (!requested.empty()) {
      std::vector<TaskEntry> tasks;
      std::vector<TaskEntry> drafts_of;
      for (const std::string &id : requested) {
        const auto configured = std::find_if(m_runtime.config.tasks.begin(), m_runtime.config.tasks.end(),
                                             [&](const TaskEntry &task) { return task.id == id; });
        tasks.push_back(configured != m_runtime.config.tasks.end() ? *configured : TaskEntry{id, ""});
        if (drafts_requested.count(id) > 0) drafts_of.push_back(tasks.back());
      }
      run_requested_tasks(std::move(tasks), std::move(drafts_of), next, stop, interrupted);
    }
    if (!interrupted) wait_for_next_pass(next, stop);
  }
  m_supervisor.stopping();
  log::info("stopping");
}

} // namespace tasksync
