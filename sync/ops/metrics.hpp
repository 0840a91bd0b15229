#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
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

  // Records what the API announced about retiring the endpoints tasksyncd uses.
  void record_api_notices(const std::vector<EndpointNotice> &notices);

  // The metrics in the Prometheus text exposition format.
  std::string serialize() const;

private:
  std::shared_ptr<prometheus::Registry> m_registry;
  prometheus::Family<prometheus::Gauge> &m_last_success;
  prometheus::Family<prometheus::Counter> &m_fetches;
  prometheus::Family<prometheus::Counter> &m_commits;
  prometheus::Histogram &m_api_latency;
  prometheus::Gauge &m_cycle_duration;
  prometheus::Gauge &m_cycle_end;
  prometheus::Gauge &m_cycle_failures;
  prometheus::Counter &m_cycles;
  prometheus::Gauge &m_unpushed;
  prometheus::Counter &m_contradictions;
  prometheus::Family<prometheus::Gauge> &m_deprecated;
  prometheus::Family<prometheus::Gauge> &m_sunset;
};

} // namespace tasksync
