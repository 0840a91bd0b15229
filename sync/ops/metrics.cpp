#include "ops/metrics.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "ops/webhook_receiver.hpp"

namespace tasksync {
namespace {

// A bounded set of label values: one per kind of result, never per message.
std::string to_string(PushOutcome outcome) {
  switch (outcome) {
  case PushOutcome::nothing: return "nothing";
  case PushOutcome::ok: return "ok";
  case PushOutcome::failed: return "failed";
  }
  return "failed";
}

std::string fetch_outcome(const TaskOutcome &outcome) {
  if (!outcome.fetch_error) return "ok";
  const FetchError &error = *outcome.fetch_error;
  if (error.is_auth_failure()) return "auth_error";
  if (error.http_status == 404) return "not_found";
  switch (error.kind) {
  case FetchError::Kind::http_status: return "http_error";
  case FetchError::Kind::invalid_response: return "invalid_response";
  case FetchError::Kind::transport: return "transport_error";
  }
  return "transport_error";
}

// A family named and explained once; the builder's remaining steps are the same for each.
prometheus::Family<prometheus::Gauge> &gauges(prometheus::Registry &registry, const char *name, const char *help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

// As gauges(), for counters.
prometheus::Family<prometheus::Counter> &counters(prometheus::Registry &registry, const char *name, const char *help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

} // namespace

Metrics::Metrics()
    : m_registry(std::make_shared<prometheus::Registry>()),
      m_last_success(gauges(*m_registry, "tasksync_task_last_success_timestamp_seconds",
                            "When each task was last synced (or found unchanged), in Unix seconds")),
      m_task_failing(gauges(*m_registry, "tasksync_task_failing", "1 when the task's last attempt failed, else 0")),
      m_fetches(counters(*m_registry, "tasksync_fetches_total", "Task fetches from the API by outcome")),
      m_commits(counters(*m_registry, "tasksync_commits_total", "Commits made, by kind of change")),
      m_api_latency(
          prometheus::BuildHistogram()
              .Name("tasksync_api_request_duration_seconds")
              .Help("Time the API took to answer one task fetch")
              .Register(*m_registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      m_cycle_duration(gauges(*m_registry, "tasksync_cycle_duration_seconds", "Duration of the last pass").Add({})),
      m_cycle_end(gauges(*m_registry, "tasksync_last_cycle_end_timestamp_seconds",
                         "When the last pass finished, in Unix seconds")
                      .Add({})),
      m_cycle_failures(
          gauges(*m_registry, "tasksync_last_cycle_failed_tasks", "Tasks that failed in the last pass").Add({})),
      m_cycles(counters(*m_registry, "tasksync_cycles_total", "Passes run").Add({})),
      m_interval(gauges(*m_registry, "tasksync_poll_interval_seconds",
                        "poll.interval_seconds: the time from the start of one pass to the next, as configured")),
      m_unpushed(
          gauges(*m_registry, "tasksync_push_pending_commits", "Commits the remote (repo.push) does not have yet")
              .Add({})),
      m_pushes(counters(*m_registry, "tasksync_pushes_total",
                        "Pushes to repo.push.remote by outcome: ok, failed, or nothing (the remote had every commit)")),
      m_last_push_success(gauges(*m_registry, "tasksync_last_push_success_timestamp_seconds",
                                 "When the remote (repo.push) last had every commit: a push succeeded or there was "
                                 "nothing to push, in Unix seconds")),
      m_contradictions(counters(*m_registry, "tasksync_list_contradictions_total",
                                "Tasks whose /latest disagreed with what the task list showed of them")
                           .Add({})),
      m_history_events(counters(*m_registry, "tasksync_history_events_total",
                                "Odd moves of a task's latest version recorded: gap_filled and versions_unavailable "
                                "(per version), rollback, version_rewritten")),
      m_list_incomplete(counters(*m_registry, "tasksync_list_incomplete_total",
                                 "Passes (tasks: all) whose read of the task list may have lacked tasks, so that none "
                                 "was taken as no longer listed")
                            .Add({})),
      m_drafts_pending(gauges(*m_registry, "tasksync_drafts_pending",
                              "Draft branches: tasks whose pending draft differs from what the branch holds")),
      m_draft_oldest_age(gauges(*m_registry, "tasksync_draft_oldest_age_seconds",
                                "Age of the oldest pending draft, from its updatedAt; 0 without drafts")),
      m_deprecated(gauges(*m_registry, "tasksync_api_endpoint_deprecated",
                          "1 for each API endpoint tasksyncd uses that the API marked deprecated or to be retired "
                          "(Deprecation, Sunset headers)")),
      m_sunset(gauges(*m_registry, "tasksync_api_endpoint_sunset_timestamp_seconds",
                      "When the API said an endpoint tasksyncd uses stops answering (Sunset header), in Unix seconds")),
      m_webhooks(counters(*m_registry, "tasksync_webhook_requests_total",
                          "Requests to POST /webhooks/anchorbrowser by outcome: accepted, ignored, duplicate, "
                          "unauthorized, too_large, bad_request, busy")),
      m_task_passes(counters(*m_registry, "tasksync_task_passes_total",
                             "Passes of the few tasks webhooks named (not counted in tasksync_cycles_total)")) {
  gauges(*m_registry, "tasksync_build_info", "Always 1; the version label says which tasksyncd runs")
      .Add({{"version", TASKSYNC_VERSION}})
      .Set(1);
  for (const char *kind : {"gap_filled", "versions_unavailable", "rollback", "version_rewritten"})
    m_history_events.Add({{"kind", kind}});
}

void Metrics::record_pass(const PassReport &report, double seconds, double finished_at) {
  record_tasks_and_push(report, finished_at);
  m_cycle_duration.Set(seconds);
  m_cycle_end.Set(finished_at);
  m_cycle_failures.Set(static_cast<double>(report.failures()));
  m_cycles.Increment();
  m_contradictions.Increment(static_cast<double>(report.list_contradictions));
  if (report.list_incomplete) m_list_incomplete.Increment();
}

void Metrics::record_task_pass(const PassReport &report, double finished_at) {
  record_tasks_and_push(report, finished_at);
  m_task_passes.Add({}).Increment();
}

void Metrics::set_interval(std::chrono::seconds interval) {
  m_interval.Add({}).Set(static_cast<double>(interval.count()));
}

void Metrics::enable_webhooks() {
  for (const WebhookOutcome outcome : kWebhookOutcomes)
    m_webhooks.Add({{"outcome", std::string(to_string(outcome))}});
  m_task_passes.Add({});
}

void Metrics::count_webhook(std::string_view outcome) {
  m_webhooks.Add({{"outcome", std::string(outcome)}}).Increment();
}

void Metrics::record_tasks_and_push(const PassReport &report, double finished_at) {
  for (const TaskOutcome &outcome : report.outcomes) {
    if (outcome.fetch_seconds > 0) {
      m_fetches.Add({{"outcome", fetch_outcome(outcome)}}).Increment();
      m_api_latency.Observe(outcome.fetch_seconds);
    }
    TaskSeries &series = m_tasks[outcome.task.id];
    if (!series.failing) series.failing = &m_task_failing.Add({{"task", outcome.task.id}});
    series.failing->Set(outcome.failed() ? 1 : 0);
    if (!outcome.failed()) {
      if (!series.last_success) series.last_success = &m_last_success.Add({{"task", outcome.task.id}});
      series.last_success->Set(finished_at);
    }
    if (!outcome.commit_id.empty()) m_commits.Add({{"change", to_string(outcome.change)}}).Increment();
    record_history_events(outcome);
  }
  record_drafts(report.drafts, finished_at);
  if (report.unpushed) m_unpushed.Set(static_cast<double>(*report.unpushed));
  if (report.push) {
    // Every outcome from the first push on, so that rate() over each is defined.
    for (const PushOutcome outcome : {PushOutcome::nothing, PushOutcome::ok, PushOutcome::failed}) {
      m_pushes.Add({{"outcome", to_string(outcome)}});
    }
    m_pushes.Add({{"outcome", to_string(*report.push)}}).Increment();
    if (*report.push != PushOutcome::failed) m_last_push_success.Add({}).Set(finished_at); // absent until then
  }
}

void Metrics::record_history_events(const TaskOutcome &outcome) {
  const auto count = [this](const char *kind, std::size_t times) {
    if (times > 0) m_history_events.Add({{"kind", kind}}).Increment(static_cast<double>(times));
  };
  std::size_t filled = 0;
  for (const TaskOutcome::Filled &version : outcome.filled) {
    if (version.commit_id.empty()) continue;
    ++filled;
    m_commits.Add({{"change", to_string(ChangeKind::updated)}}).Increment();
  }
  count("gap_filled", filled);
  if (outcome.commit_id.empty()) return;
  count("versions_unavailable", outcome.unavailable.size());
  count("rollback", outcome.rollback_from.empty() ? 0 : 1);
  count("version_rewritten", outcome.rewritten ? 1 : 0);
}

void Metrics::record_drafts(const DraftReport &drafts, double finished_at) {
  if (!drafts.known) return;
  m_drafts_pending.Add({}).Set(static_cast<double>(drafts.pending));
  const double oldest = drafts.oldest_updated ? static_cast<double>(*drafts.oldest_updated) : finished_at;
  m_draft_oldest_age.Add({}).Set(std::max(0.0, finished_at - oldest));
}

void Metrics::keep_only_tasks(const std::set<std::string> &tasks) {
  for (auto it = m_tasks.begin(); it != m_tasks.end();) {
    if (tasks.count(it->first) > 0) {
      ++it;
      continue;
    }
    if (it->second.last_success) m_last_success.Remove(it->second.last_success);
    if (it->second.failing) m_task_failing.Remove(it->second.failing);
    it = m_tasks.erase(it);
  }
}

void Metrics::record_api_notices(const std::vector<EndpointNotice> &notices) {
  for (const EndpointNotice &notice : notices) {
    m_deprecated.Add({{"endpoint", notice.endpoint}}).Set(1);
    if (notice.sunset_at) m_sunset.Add({{"endpoint", notice.endpoint}}).Set(static_cast<double>(*notice.sunset_at));
  }
}

std::string Metrics::serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, m_registry->Collect());
  return out.str();
}

} // namespace tasksync
