#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <set>
#include <string>
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

  // Drops the per-task series of every task not in `tasks` (after a reload removed it, or the
  // team's list no longer shows it), so no alert fires for a task nobody syncs.
  void keep_only_tasks(const std::set<std::string> &tasks);

  // Records what the API announced about retiring the endpoints tasksyncd uses.
  void record_api_notices(const std::vector<EndpointNotice> &notices);

  // The metrics in the Prometheus text exposition format.
  std::string serialize() const;

private:
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
  prometheus::Gauge &m_unpushed;
  prometheus::Family<prometheus::Counter> &m_pushes;
  prometheus::Family<prometheus::Gauge> &m_last_push_success;
  prometheus::Counter &m_contradictions;
  prometheus::Family<prometheus::Gauge> &m_deprecated;
  prometheus::Family<prometheus::Gauge> &m_sunset;
};

} // namespace tasksync
