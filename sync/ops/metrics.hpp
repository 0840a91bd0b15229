#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/deprecation.hpp"
#include "run/pass_report.hpp"

namespace tasksync {

// The daemon's Prometheus metrics (prometheus-cpp core), fed once per pass. Thread-safe.
class Metrics {
public:
  Metrics();

  // Records what a pass did and how long it took (`finished_at` in Unix seconds).
  void record_pass(const PassReport &report, double seconds, double finished_at);
  // Records what a pass of a few tasks (a webhook's) did: its tasks, commits and push, but not
  // as a pass (tasksync_cycles_total and the last cycle's gauges stay the full passes').
  void record_task_pass(const PassReport &report, double finished_at);

  // Shows poll.interval_seconds as tasksync_poll_interval_seconds (absent until then), so that
  // alerts can say "for three intervals" as /healthz does: at the start and after each reload.
  void set_interval(std::chrono::seconds interval);

  // Shows tasksync_webhook_requests_total (every outcome from 0) and tasksync_task_passes_total:
  // http.webhook_secret_file is set.
  void enable_webhooks();
  // Counts a request to POST /webhooks/anchorbrowser by `outcome` (WebhookOutcome's names).
  void count_webhook(std::string_view outcome);

  // Drops the per-task series of every task not in `tasks` (after a reload removed it, or the
  // team's list no longer shows it), so no alert fires for a task nobody syncs.
  void keep_only_tasks(const std::set<std::string> &tasks);

  // Records what the API announced about retiring the endpoints tasksyncd uses.
  void record_api_notices(const std::vector<EndpointNotice> &notices);

  // The metrics in the Prometheus text exposition format.
  std::string serialize() const;

private:
  void record_tasks_and_push(const PassReport &report, double finished_at);
  void record_history_events(const TaskOutcome &outcome);
  void record_drafts(const DraftReport &drafts, double finished_at);

  /// The series kept for one task.
  struct TaskSeries {
    prometheus::Gauge *last_success = nullptr; // set once the task first synced
    prometheus::Gauge *failing = nullptr;
  };

  std::shared_ptr<prometheus::Registry> m_registry;
  prometheus::Family<prometheus::Gauge> &m_last_success;
  prometheus::Family<prometheus::Gauge> &m_task_failing;
  std::map<std::string, TaskSeries> m_tasks; // by task ID; touched by the pass's thread only
  prometheus::Family<prometheus::Counter> &m_fetches;
  prometheus::Family<prometheus::Counter> &m_commits;
  prometheus::Histogram &m_api_latency;
  prometheus::Gauge &m_cycle_duration;
  prometheus::Gauge &m_cycle_end;
  prometheus::Gauge &m_cycle_failures;
  prometheus::Counter &m_cycles;
  prometheus::Family<prometheus::Gauge> &m_interval;
  prometheus::Gauge &m_unpushed;
  prometheus::Family<prometheus::Counter> &m_pushes;
  prometheus::Family<prometheus::Gauge> &m_last_push_success;
  prometheus::Counter &m_contradictions;
  prometheus::Family<prometheus::Counter> &m_history_events;
  prometheus::Counter &m_list_incomplete;
  prometheus::Family<prometheus::Gauge> &m_drafts_pending;
  prometheus::Family<prometheus::Gauge> &m_draft_oldest_age;
  prometheus::Family<prometheus::Gauge> &m_deprecated;
  prometheus::Family<prometheus::Gauge> &m_sunset;
  prometheus::Family<prometheus::Counter> &m_webhooks;
  prometheus::Family<prometheus::Counter> &m_task_passes;
};

} // namespace tasksync
