#include "ops/metrics.hpp"

#include <gtest/gtest.h>

using namespace tasksync;

namespace {

TaskOutcome outcome(const std::string &id, double seconds) {
  TaskOutcome result;
  result.task.id = id;
  result.fetch_seconds = seconds;
  return result;
}

} // namespace

TEST(Metrics, RecordsFetchesCommitsAndTimes) {
  PassReport report;
  report.outcomes.push_back(outcome("a", 0.02));
  report.outcomes.back().change = ChangeKind::added;
  report.outcomes.back().commit_id = "abc";
  report.outcomes.push_back(outcome("b", 0.3));
  report.outcomes.back().fetch_error =
      FetchError{FetchError::Kind::http_status, 404, "HTTP 404: gone", false, std::nullopt};
  report.outcomes.back().error = "HTTP 404: gone";
  report.outcomes.push_back(outcome("c", 2.0));
  report.outcomes.back().fetch_error = FetchError{FetchError::Kind::transport, 0, "cannot connect", true, std::nullopt};
  report.outcomes.back().error = "cannot connect";

  Metrics metrics;
  metrics.record_pass(report, 1.5, 1795185067);
  const std::string text = metrics.serialize();
  for (const char *expected : {
           "tasksync_fetches_total{outcome=\"ok\"} 1",
           "tasksync_fetches_total{outcome=\"not_found\"} 1",
           "tasksync_fetches_total{outcome=\"transport_error\"} 1",
           "tasksync_commits_total{change=\"added\"} 1",
           "tasksync_task_last_success_timestamp_seconds{task=\"a\"} 1795185067",
           "tasksync_api_request_duration_seconds_count 3",
           "tasksync_api_request_duration_seconds_bucket{le=\"0.025\"} 1",
           "tasksync_cycle_duration_seconds 1.5",
           "tasksync_last_cycle_end_timestamp_seconds 1795185067",
           "tasksync_last_cycle_failed_tasks 2",
           "tasksync_cycles_total 1",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  EXPECT_EQ(text.find("tasksync_task_last_success_timestamp_seconds{task=\"b\"}"), std::string::npos)
      << "a failed task has no success time";
  EXPECT_NE(text.find("tasksync_task_failing{task=\"a\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("tasksync_task_failing{task=\"b\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("tasksync_build_info{version=\"" TASKSYNC_VERSION "\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("tasksync_pushes_total{"), std::string::npos) << "no push configured, no push series\n" << text;
  EXPECT_EQ(text.find("tasksync_last_push_success_timestamp_seconds "), std::string::npos) << text;
}

TEST(Metrics, CountsThePassesWhoseTaskListWasIncomplete) {
  Metrics metrics;
  EXPECT_NE(metrics.serialize().find("tasksync_list_incomplete_total 0"), std::string::npos) << "shown from 0";
  PassReport report;
  report.list_incomplete = true;
  metrics.record_pass(report, 1, 1795185067);
  metrics.record_pass(PassReport{}, 1, 1795185068);
  EXPECT_NE(metrics.serialize().find("tasksync_list_incomplete_total 1"), std::string::npos) << metrics.serialize();
}

TEST(Metrics, CountsPushesByOutcomeAndWhenTheRemoteLastHadEverything) {
  Metrics metrics;
  PassReport report;
  report.push = PushOutcome::ok;
  metrics.record_pass(report, 1, 1000);
  report.push = PushOutcome::failed;
  metrics.record_pass(report, 1, 2000);
  metrics.record_pass(report, 1, 3000);
  std::string text = metrics.serialize();
  for (const char *expected :
       {"tasksync_pushes_total{outcome=\"ok\"} 1", "tasksync_pushes_total{outcome=\"failed\"} 2",
        "tasksync_pushes_total{outcome=\"nothing\"} 0", "tasksync_last_push_success_timestamp_seconds 1000"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  report.push = PushOutcome::nothing;
  metrics.record_pass(report, 1, 4000);
  text = metrics.serialize();
  EXPECT_NE(text.find("tasksync_pushes_total{outcome=\"nothing\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("tasksync_last_push_success_timestamp_seconds 4000"), std::string::npos) << text;
}

TEST(Metrics, ForgetsTheSeriesOfTasksNoLongerSynced) {
  Metrics metrics;
  PassReport report;
  report.outcomes = {outcome("kept", 0.1), outcome("gone", 0.1), outcome("gone-failing", 0.1)};
  report.outcomes.back().error = "HTTP 500: no";
  metrics.record_pass(report, 1, 1000);
  metrics.keep_only_tasks({"kept"});
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find("tasksync_task_last_success_timestamp_seconds{task=\"kept\"} 1000"), std::string::npos) << text;
  EXPECT_NE(text.find("tasksync_task_failing{task=\"kept\"} 0"), std::string::npos) << text;
  EXPECT_EQ(text.find("gone"), std::string::npos) << text;
  // A task that comes back gets its series again.
  report.outcomes = {outcome("gone", 0.1)};
  metrics.record_pass(report, 1, 2000);
  EXPECT_NE(metrics.serialize().find("tasksync_task_last_success_timestamp_seconds{task=\"gone\"} 2000"),
            std::string::npos);
}

TEST(Metrics, ExposesTheApisRetirementNotices) {
  Metrics metrics;
  EndpointNotice latest{"GET /v1/task/{id}/latest", "@1772323200", 1772323200, "Thu, 31 Dec 2026 23:59:59 GMT",
                        1798761599};
  EndpointNotice list{"GET /v1/task", "true", std::nullopt, "", std::nullopt};
  metrics.record_api_notices({latest, list});
  const std::string text = metrics.serialize();
  EXPECT_NE(text.find("tasksync_api_endpoint_deprecated{endpoint=\"GET /v1/task/{id}/latest\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("tasksync_api_endpoint_deprecated{endpoint=\"GET /v1/task\"} 1"), std::string::npos) << text;
  EXPECT_NE(
      text.find("tasksync_api_endpoint_sunset_timestamp_seconds{endpoint=\"GET /v1/task/{id}/latest\"} 1798761599"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("tasksync_api_endpoint_sunset_timestamp_seconds{endpoint=\"GET /v1/task\"}"), std::string::npos);
}

TEST(Metrics, CountsHistoryEventsFromZeroAndGapVersionsOneByOne) {
  Metrics metrics;
  std::string text = metrics.serialize();
  for (const char *kind : {"gap_filled", "versions_unavailable", "rollback", "version_rewritten"}) {
    EXPECT_NE(text.find("tasksync_history_events_total{kind=\"" + std::string(kind) + "\"} 0"), std::string::npos)
        << kind << "\n"
        << text;
  }
  PassReport report;
  report.outcomes.push_back(outcome("a", 0.02));
  report.outcomes.back().change = ChangeKind::updated;
  report.outcomes.back().commit_id = "abc";
  report.outcomes.back().filled = {{"6", "def"}, {"7", "123"}};
  report.outcomes.back().unavailable = {"8", "9", "10"};
  report.outcomes.push_back(outcome("b", 0.02));
  report.outcomes.back().change = ChangeKind::updated;
  report.outcomes.back().commit_id = "456";
  report.outcomes.back().rollback_from = "9";
  report.outcomes.push_back(outcome("c", 0.02));
  report.outcomes.back().change = ChangeKind::updated;
  report.outcomes.back().commit_id = "789";
  report.outcomes.back().rewritten = true;
  metrics.record_pass(report, 1, 1795185067);
  text = metrics.serialize();
  for (const char *expected : {"tasksync_history_events_total{kind=\"gap_filled\"} 2",
                               "tasksync_history_events_total{kind=\"versions_unavailable\"} 3",
                               "tasksync_history_events_total{kind=\"rollback\"} 1",
                               "tasksync_history_events_total{kind=\"version_rewritten\"} 1",
                               "tasksync_commits_total{change=\"updated\"} 5"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

// The alerts count "three intervals" as /healthz does, from the interval the daemon has now.
TEST(Metrics, ShowsThePollIntervalOnceSetAndItsChange) {
  Metrics metrics;
  EXPECT_EQ(metrics.serialize().find("tasksync_poll_interval_seconds "), std::string::npos)
      << "absent until set: 0 would make every pass three intervals late";
  metrics.set_interval(std::chrono::seconds(300));
  EXPECT_NE(metrics.serialize().find("tasksync_poll_interval_seconds 300\n"), std::string::npos) << metrics.serialize();
  metrics.set_interval(std::chrono::seconds(60));
  EXPECT_NE(metrics.serialize().find("tasksync_poll_interval_seconds 60\n"), std::string::npos) << metrics.serialize();
}
