#include "service/health.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.hpp"

namespace tasksync {
namespace {

// /healthz stays small whatever goes wrong: a few reasons of a bounded length each.
constexpr std::size_t kMaxTaskReasons = 5;
constexpr std::size_t kMaxProblems = 3;
constexpr std::size_t kMaxReasonBytes = 160;

long long seconds_between(HealthTracker::Clock::time_point from, HealthTracker::Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

// `text` with its control characters escaped and cut to kMaxReasonBytes on a character boundary.
std::string bounded(std::string_view text) {
  std::string escaped = escape_controls(log::mask_secrets(std::string(text)));
  if (escaped.size() <= kMaxReasonBytes) return escaped;
  std::size_t cut = kMaxReasonBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(escaped[cut]) & 0xC0) == 0x80)
    --cut;
  escaped.resize(cut);
  return escaped + "...";
}

// A failed task's reason in a few words, from its kind of failure (the log has the whole message).
std::string task_reason(const TaskOutcome &outcome) {
  if (!outcome.fetch_error) return "task " + outcome.task.id + ": could not be written (see the log)";
  const FetchError &error = *outcome.fetch_error;
  switch (error.kind) {
  case FetchError::Kind::http_status: return "task " + outcome.task.id + ": HTTP " + std::to_string(error.http_status);
  case FetchError::Kind::invalid_response: return "task " + outcome.task.id + ": invalid response";
  case FetchError::Kind::transport: break;
  }
  return "task " + outcome.task.id + ": API unreachable or not answering";
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

} // namespace

std::optional<std::string> repository_write_problem(const std::filesystem::path &work_tree) {
  const std::filesystem::path git_dir = work_tree / ".git";
  std::vector<std::filesystem::path> directories = {git_dir, git_dir / "objects" / "pack", git_dir / "refs" / "heads"};
  std::error_code ignored;
  if (std::filesystem::is_directory(work_tree / "tasks", ignored)) directories.push_back(work_tree / "tasks");
  for (const auto &directory : directories) {
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
      return "repository not writable: " + directory.string() + ": " + std::strerror(errno);
    }
  }
  return std::nullopt;
}

HealthTracker::HealthTracker(std::chrono::seconds interval) : m_interval(interval) {}

void HealthTracker::set_interval(std::chrono::seconds interval) { m_interval = interval; }

void HealthTracker::pass_started(Clock::time_point now, std::optional<std::size_t> tasks) {
  m_running = RunningPass{now, now, 0, tasks};
}

void HealthTracker::task_done(Clock::time_point now) {
  if (!m_running) return;
  ++m_running->done;
  m_running->last_progress = now;
}

void HealthTracker::pass_finished(const PassReport &report, Clock::time_point now) {
  m_running.reset();
  FinishedPass last;
  last.ended = now;
  last.tasks = report.outcomes.size();
  last.failed = report.failures();
  if (report.api_key_rejected) {
    last.key_rejected_status = 0;
    for (const TaskOutcome &outcome : report.outcomes) {
      if (outcome.fetch_error && outcome.fetch_error->is_auth_failure()) {
        last.key_rejected_status = outcome.fetch_error->http_status;
      }
    }
  }
  for (const TaskOutcome &outcome : report.outcomes) {
    if (!outcome.failed()) continue;
    if (last.failed_tasks.size() == kMaxTaskReasons) break;
    last.failed_tasks.push_back(task_reason(outcome));
  }
  for (const std::string &problem : report.problems) {
    if (problem == report.record_error || problem == report.push_error) continue;
    if (last.problems.size() == kMaxProblems) break;
    last.problems.push_back(bounded(problem));
  }
  m_last = std::move(last);
  note_record_and_push(report, now);
}

void HealthTracker::task_pass_finished(const PassReport &report, Clock::time_point now) {
  note_record_and_push(report, now);
}

void HealthTracker::note_record_and_push(const PassReport &report, Clock::time_point now) {
  if (!report.record_error.empty()) {
    m_record_error = report.record_error;
  } else if (report.commits() > 0) {
    m_record_error.clear();
  }
  if (report.push == PushOutcome::failed) {
    if (!m_push_failing_since) m_push_failing_since = now;
    m_push_error = report.push_error;
  } else if (report.push) {
    m_push_failing_since.reset();
    m_push_error.clear();
  }
}

HealthReport HealthTracker::report(Clock::time_point now, const std::optional<std::string> &unwritable) const {
  const auto limit = 3 * m_interval;
  std::vector<std::string> failing;
  std::vector<std::string> degraded;
  if (unwritable) failing.push_back(bounded(*unwritable));
  if (!m_record_error.empty()) failing.push_back(bounded("the last pass could not be recorded: " + m_record_error));

  std::vector<std::string> progress; // what a starting daemon is doing
  std::string status;
  if (!m_last) {
    // The first pass: an import of many tasks may take longer than 3 intervals, and is starting
    // for as long as tasks keep getting done; one that has done none for 3 intervals is stuck.
    if (m_running && now - m_running->last_progress >= limit) {
      failing.push_back("first pass running for " + std::to_string(seconds_between(m_running->started, now)) +
                        " s has done no task for " + std::to_string(seconds_between(m_running->last_progress, now)) +
                        " s");
    }
    status = failing.empty() ? "starting" : "failing";
    if (status == "starting") {
      progress.push_back(m_running
                             ? "first pass running: " + std::to_string(m_running->done) +
                                   (m_running->tasks ? " of " + std::to_string(*m_running->tasks) : "") + " tasks done"
                             : "no pass started yet");
    }
  } else {
    const FinishedPass &last = *m_last;
    if (now - last.ended >= limit) {
      failing.push_back("no pass finished for " + std::to_string(seconds_between(last.ended, now)) +
                        " s (3 intervals: " + std::to_string(limit.count()) + " s)");
    }
    if (last.key_rejected_status) {
      failing.push_back(*last.key_rejected_status > 0
                            ? "API key rejected (HTTP " + std::to_string(*last.key_rejected_status) + ")"
                            : "API key rejected");
    } else if (last.tasks > 0 && last.failed == last.tasks) {
      failing.push_back("all " + std::to_string(last.tasks) + " tasks failed");
    } else if (last.tasks == 0 && !last.problems.empty()) {
      failing.push_back("no task synced");
    } else if (last.failed > 0) {
      degraded.push_back(std::to_string(last.failed) + " of " + std::to_string(last.tasks) + " tasks failed");
    }
    auto &task_list = failing.empty() ? degraded : failing;
    task_list.insert(task_list.end(), last.failed_tasks.begin(), last.failed_tasks.end());
    if (last.failed > last.failed_tasks.size()) {
      task_list.push_back("and " + std::to_string(last.failed - last.failed_tasks.size()) + " more failed tasks");
    }
    if (m_push_failing_since && now - *m_push_failing_since >= limit) {
      degraded.push_back(bounded("push failing for " + std::to_string(seconds_between(*m_push_failing_since, now)) +
                                 " s: " + m_push_error));
    }
    degraded.insert(degraded.end(), last.problems.begin(), last.problems.end());
    status = !failing.empty() ? "failing" : !degraded.empty() ? "degraded" : "ok";
  }

  std::vector<std::string> reasons = failing;
  reasons.insert(reasons.end(), degraded.begin(), degraded.end());
  reasons.insert(reasons.end(), progress.begin(), progress.end());
  std::string json = "{\"status\":\"" + status + "\",\"reasons\":[";
  for (std::size_t i = 0; i < reasons.size(); ++i)
    json += (i ? "," : "") + json_string(reasons[i]);
  json += "],\"last_pass_age_seconds\":" + (m_last ? std::to_string(seconds_between(m_last->ended, now)) : "null") +
          ",\"interval_seconds\":" + std::to_string(m_interval.count()) +
          ",\"tasks\":" + std::to_string(m_last ? m_last->tasks : 0) +
          ",\"failed_tasks\":" + std::to_string(m_last ? m_last->failed : 0) +
          ",\"repository_writable\":" + (unwritable ? "false" : "true");
  if (m_running) {
    json += ",\"pass_running\":{\"seconds\":" + std::to_string(seconds_between(m_running->started, now)) +
            ",\"tasks_done\":" + std::to_string(m_running->done) +
            ",\"tasks\":" + (m_running->tasks ? std::to_string(*m_running->tasks) : "null") + "}";
  }
  json += "}\n";
  return {status == "ok", json};
}

} // namespace tasksync
