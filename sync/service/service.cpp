#include "service/service.hpp"

#include <malloc.h>

#include <unistd.h>

#include <condition_variable>
#include <ctime>
#include <random>

#include "base/log.hpp"

namespace tasksync {
namespace {

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

} // namespace

Service::Service(std::filesystem::path config_file, Runtime runtime, Supervisor &supervisor,
                 std::optional<LogLevel> log_override)
    : m_config_file(std::move(config_file)), m_runtime(std::move(runtime)), m_supervisor(supervisor),
      m_log_override(log_override), m_interval(m_runtime.config.poll.interval),
      m_git_dir(m_runtime.mirror.work_tree() / ".git") {}

Service::~Service() = default;

Result<void> Service::start_status_server() {
  if (!m_runtime.config.http.host) return {};
  TRY_ASSIGN(m_status_server, StatusServer::start(m_runtime.config.http, m_metrics, [this] { return health(); }));
  log::info("serving /healthz and /metrics on " + *m_runtime.config.http.host + ":" +
            std::to_string(m_runtime.config.http.port));
  return {};
}

void Service::request_reload() {
  std::lock_guard lock(m_mutex);
  m_reload_requested = true;
}

HealthReport Service::health() const {
  std::lock_guard lock(m_mutex);
  const bool writable = ::access(m_git_dir.c_str(), W_OK) == 0;
  const auto now = std::chrono::system_clock::now();
  std::string age = "null";
  bool recent = false;
  if (m_last_pass_end) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - *m_last_pass_end);
    age = std::to_string(seconds.count());
    recent = now - *m_last_pass_end < 3 * m_interval;
  }
  const bool healthy = recent && writable;
  const std::string json = std::string("{\"status\":\"") + (healthy ? "ok" : "unhealthy") +
                           "\",\"last_pass_age_seconds\":" + age + ",\"interval_seconds\":" +
                           std::to_string(m_interval.count()) + ",\"tasks\":" + std::to_string(m_last_tasks) +
                           ",\"failed_tasks\":" + std::to_string(m_last_failures) +
                           ",\"repository_writable\":" + (writable ? "true" : "false") + "}\n";
  return {healthy, json};
}

void Service::ping_watchdog_if_due() {
  const auto interval = m_supervisor.watchdog_interval();
  if (!interval) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - m_last_ping >= *interval / 2) {
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
  std::optional<Mirror> mirror;
  const RepoSettings &before = m_runtime.config.repo;
  if (config.repo.path != before.path || config.repo.branch != before.branch ||
      config.repo.author_name != before.author_name || config.repo.author_email != before.author_email) {
    if (std::filesystem::equivalent(config.repo.path, before.path)) {
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
    log::warning("http.listen changes take effect at the next restart");
    config.http = m_runtime.config.http;
  }
  log::set_level(m_log_override.value_or(config.log_level));
  m_runtime.clients = std::move(settings->clients);
  if (mirror) m_runtime.mirror = std::move(*mirror);
  m_runtime.config = std::move(config);
  m_runtime.key = std::move(settings->key);
  {
    std::lock_guard lock(m_mutex);
    m_interval = m_runtime.config.poll.interval;
    m_git_dir = m_runtime.mirror.work_tree() / ".git";
  }
  log::info("config reloaded: " + describe_tasks(m_runtime.config) + " every " +
            std::to_string(m_runtime.config.poll.interval.count()) + " s");
}

void Service::wait_for_next_pass(std::chrono::steady_clock::time_point next, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any sleeper;
  std::unique_lock lock(mutex);
  while (!stop.stop_requested() && std::chrono::steady_clock::now() < next) {
    auto until = next;
    if (const auto interval = m_supervisor.watchdog_interval()) {
      until = std::min(until, std::chrono::steady_clock::now() +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(*interval / 2));
    }
    sleeper.wait_until(lock, stop, until, [] { return false; });
    ping_watchdog_if_due();
  }
}

void Service::run(std::stop_token stop) {
  m_supervisor.ready();
  log::info("polling " + describe_tasks(m_runtime.config) + " every " +
            std::to_string(m_runtime.config.poll.interval.count()) + " s into " +
            m_runtime.mirror.work_tree().string());
  while (!stop.stop_requested()) {
    bool reload_now = false;
    {
      std::lock_guard lock(m_mutex);
      std::swap(reload_now, m_reload_requested);
    }
    if (reload_now) reload();

    const auto started = std::chrono::steady_clock::now();
    const PassReport report = run_cycle(m_runtime, PassMode::apply, stop,
                                        [this](const TaskOutcome &) { ping_watchdog_if_due(); },
                                        started + m_runtime.config.poll.interval);
    const auto finished = std::chrono::system_clock::now();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    if (report.interrupted) break;
    m_metrics.record_pass(report, took.count(), unix_seconds(finished));
    m_metrics.record_api_notices(m_runtime.memory->notices->all());
    {
      std::lock_guard lock(m_mutex);
      m_last_pass_end = finished;
      m_last_failures = report.failures();
      m_last_tasks = report.outcomes.size();
    }
    const auto wait = m_runtime.config.poll.interval + jitter();
    const auto next = started + wait;
    const auto steady_now = std::chrono::steady_clock::now();
    const auto next_wall =
        finished + std::chrono::duration_cast<std::chrono::system_clock::duration>(next - steady_now);
    // A pass that outlasted the interval is followed at once: its start time is already past.
    const std::string next_pass = next <= steady_now ? "next pass now (this one took longer than the interval)"
                                                     : "next pass at " + clock_time(next_wall);
    const std::string summary = std::to_string(report.outcomes.size() - report.failures()) + " tasks ok, " +
                                std::to_string(report.failures()) + " failed, " + std::to_string(report.commits()) +
                                " commits" + (report.push_failed ? ", push failed" : "") +
                                (report.unpushed.value_or(0) > 0
                                     ? ", " + std::to_string(*report.unpushed) + " not yet pushed"
                                     : std::string()) +
                                "; " + next_pass;
    log::info("pass finished in " + std::to_string(static_cast<long>(took.count() * 1000)) + " ms: " + summary);
    m_supervisor.status(summary);
    ping_watchdog_if_due();
    // A pass frees what it allocated, but glibc keeps freed memory (and thread arenas) mapped:
    // hand it back, so a daemon that runs for months stays at its working size.
    ::malloc_trim(0);
    wait_for_next_pass(next, stop);
  }
  m_supervisor.stopping();
  log::info("stopping");
}

} // namespace tasksync
