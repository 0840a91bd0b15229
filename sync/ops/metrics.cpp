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

} // namespace

Metrics::Metrics()
    : m_registry(std::make_shared<prometheus::Registry>()),
      m_last_success(prometheus::BuildGauge()
                         .Name("tasksync_task_last_success_timestamp_seconds")
                         .Help("When each task was last synced (or found unchanged), in Unix seconds")
                         .Register(*m_registry)),
      m_task_failing(prometheus::BuildGauge()
                         .Name("tasksync_task_failing")
                         .Help("1 when the task's last attempt failed, else 0")
                         .Register(*m_registry)),
      m_fetches(prometheus::BuildCounter()
                    .Name("tasksync_fetches_total")
                    .Help("Task fetches from the API by outcome")
                    .Register(*m_registry)),
      m_commits(prometheus::BuildCounter()
                    .Name("tasksync_commits_total")
                    .Help("Commits made, by kind of change")
                    .Register(*m_registry)),
      m_api_latency(
          prometheus::BuildHistogram()
              .Name("tasksync_api_request_duration_seconds")
              .Help("Time the API took to answer one task fetch")
              .Register(*m_registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      m_cycle_duration(prometheus::BuildGauge()
                           .Name("tasksync_cycle_duration_seconds")
                           .Help("Duration of the last pass")
                           .Register(*m_registry)
                           .Add({})),
      m_cycle_end(prometheus::BuildGauge()
                      .Name("tasksync_last_cycle_end_timestamp_seconds")
                      .Help("When the last pass finished, in Unix seconds")
                      .Register(*m_registry)
                      .Add({})),
      m_cycle_failures(prometheus::BuildGauge()
                           .Name("tasksync_last_cycle_failed_tasks")
                           .Help("Tasks that failed in the last pass")
                           .Register(*m_registry)
                           .Add({})),
      m_cycles(
          prometheus::BuildCounter().Name("tasksync_cycles_total").Help("Passes run").Register(*m_registry).Add({})),
      m_unpushed(prometheus::BuildGauge()
                     .Name("tasksync_push_pending_commits")
                     .Help("Commits the remote (repo.push) does not have yet")
                     .Register(*m_registry)
                     .Add({})),
      m_pushes(prometheus::BuildCounter()
                   .Name("tasksync_pushes_total")
                   .Help("Pushes to repo.push.remote by outcome: ok, failed, or nothing (the remote had every commit)")
                   .Register(*m_registry)),
      m_last_push_success(prometheus::BuildGauge()
                              .Name("tasksync_last_push_success_timestamp_seconds")
                              .Help("When the remote (repo.push) last had every commit: a push succeeded or there "
                                    "was nothing to push, in Unix seconds")
                              .Register(*m_registry)),
      m_contradictions(prometheus::BuildCounter()
                           .Name("tasksync_list_contradictions_total")
                           .Help("Tasks whose /latest disagreed with what the task list showed of them")
                           .Register(*m_registry)
                           .Add({})),
      m_history_events(prometheus::BuildCounter()
                           .Name("tasksync_history_events_total")
                           .Help("Odd moves of a task's latest version recorded: gap_filled and versions_unavailable "
                                 "(per version), rollback, version_rewritten")
                           .Register(*m_registry)),
      m_list_incomplete(prometheus::BuildCounter()
                            .Name("tasksync_list_incomplete_total")
                            .Help("Passes (tasks: all) whose read of the task list may have lacked tasks, so that "
                                  "none was taken as no longer listed")
                            .Register(*m_registry)
                            .Add({})),
      m_drafts_pending(prometheus::BuildGauge()
                           .Name("tasksync_drafts_pending")
                           .Help("Draft branches: tasks whose pending draft differs from what the branch holds")
                           .Register(*m_registry)),
      m_draft_oldest_age(prometheus::BuildGauge()
                             .Name("tasksync_draft_oldest_age_seconds")
                             .Help("Age of the oldest pending draft, from its updatedAt; 0 without drafts")
                             .Register(*m_registry)),
      m_deprecated(prometheus::BuildGauge()
                       .Name("tasksync_api_endpoint_deprecated")
                       .Help("1 for each API endpoint tasksyncd uses that the API marked deprecated or to be retired "
                             "(Deprecation, Sunset headers)")
                       .Register(*m_registry)),
      m_sunset(
          prometheus::BuildGauge()
              .Name("tasksync_api_endpoint_sunset_timestamp_seconds")
              .Help("When the API said an endpoint tasksyncd uses stops answering (Sunset header), in Unix seconds")
              .Register(*m_registry)),
      m_webhooks(prometheus::BuildCounter()
                     .Name("tasksync_webhook_requests_total")
                     .Help("Requests to POST /webhooks/anchorbrowser by outcome: accepted, ignored, duplicate, "
                           "unauthorized, too_large, bad_request, busy")
                     .Register(*m_registry)),
      m_task_passes(prometheus::BuildCounter()
                        .Name("tasksync_task_passes_total")
                        .Help("Passes of the few tasks webhooks named (not counted in tasksync_cycles_total)")
                        .Register(*m_registry)) {
  prometheus::BuildGauge()
      .Name("tasksync_build_info")
      .Help("Always 1; the version label says which tasksyncd runs")
      .Register(*m_registry)
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
