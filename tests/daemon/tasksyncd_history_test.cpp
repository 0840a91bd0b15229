// Integration tests of a task's history with no holes: versions published between two passes are
// fetched and committed in order, and a `latest` that goes back or changes without a new number
// is called out; the real tasksyncd against the fake API's per-task history.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-history-secret-0123456789abcdef";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kOther = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

class HistoryTest : public test::DaemonFixture {
protected:
  HistoryTest() : DaemonFixture(kKey) { write_config({.rest = "tasks:\n  - id: " + kTask + "\n    name: checkout\n"}); }

  // Version `number` of the task, updated on day `number` of November 2026 (from 29 on, minutes
  // into 1 December).
  static test::FakeVersion version(const std::string &number, const std::string &code = "") {
    test::FakeVersion v = test::task_version(kTask, number);
    if (!code.empty()) v.code = code;
    const int n = std::stoi(number);
    char date[32];
    if (n <= 28)
      std::snprintf(date, sizeof date, "2026-11-%02dT10:00:00Z", n);
    else
      std::snprintf(date, sizeof date, "2026-12-01T00:%02d:00Z", (n - 28) % 60);
    v.updated_at = date;
    return v;
  }

  // Records `number` in the task's history only (published, but not the latest).
  void publish(const std::string &number) { m_api.add_version(version(number)); }

  // The task's commits, oldest first: "subject|author date" each.
  std::string subjects() { return git_out({"log", "--reverse", "--format=%s|%aI", "--", "tasks/" + kTask}); }

  // HEAD's commit message after its subject line.
  std::string head_body() { return git_out({"log", "-1", "--format=%b"}); }
};

} // namespace

TEST_F(HistoryTest, VersionsPublishedBetweenTwoPassesAreCommittedInOrderWithTheirOwnDates) {
  m_api.set_version(version("5"));
  ASSERT_EQ(once().exit_code, 0);
  m_api.set_version(version("6"));
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(m_api.history_requests(kTask), 0) << "one version up costs no extra request";

  publish("7");
  publish("8");
  m_api.set_version(version("9"));
  const auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(subjects(), "checkout: add version 5|2026-11-05T10:00:00+00:00\n"
                        "checkout: update to version 6|2026-11-06T10:00:00+00:00\n"
                        "checkout: update to version 7|2026-11-07T10:00:00+00:00\n"
                        "checkout: update to version 8|2026-11-08T10:00:00+00:00\n"
                        "checkout: update to version 9|2026-11-09T10:00:00+00:00\n");
  EXPECT_EQ(git_out({"show", "HEAD~1:tasks/" + kTask + "/task.ts"}), version("8").code);
  EXPECT_NE(git_out({"log", "-1", "--format=%B", "HEAD~2"}).find("Task-Version: 7\n"), std::string::npos);
  EXPECT_EQ(head_body().find("Task-Versions-Unavailable"), std::string::npos);
  EXPECT_EQ(m_api.history_requests(kTask), 3) << "the list of versions, then 7 and 8";
  EXPECT_NE(result.err.find("updated version 7 (published since the last pass, before version 9)"), std::string::npos)
      << result.err;
  EXPECT_TRUE(test::repository_consistent(m_repo));

  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(commits(), 5) << "nothing twice";
}

TEST_F(HistoryTest, ADeletedAndAMissingVersionOfTheGapAreNamedAndASkippedNumberIsNot) {
  m_api.set_version(version("5"));
  ASSERT_EQ(once().exit_code, 0);
  test::FakeVersion deleted = version("6");
  deleted.deleted = true;
  m_api.add_version(deleted);
  publish("7");
  m_api.set_version_reply(kTask, "7", {404, R"({"error":{"code":404,"message":"Task or version not found"}})", {}});
  publish("9"); // 8 was never published: a legal skip
  m_api.set_version(version("10"));

  const auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s", "--", "tasks/" + kTask}),
            "checkout: add version 5\ncheckout: update to version 9\ncheckout: update to version 10\n");
  EXPECT_NE(
      head_body().find("Task-Version: 10\nTask-Updated-At: 2026-11-10T10:00:00Z\nTask-Versions-Unavailable: 6 7\n"),
      std::string::npos)
      << head_body();
  EXPECT_EQ(git_out({"log", "-1", "--format=%B", "HEAD~1"}).find("Unavailable"), std::string::npos);
  EXPECT_NE(result.err.find("task " + kTask + " (checkout): versions 6, 7 listed by the API but no longer available"),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HistoryTest, ALatestThatGoesBackIsARollbackCommit) {
  publish("3");
  m_api.set_version(version("5"));
  ASSERT_EQ(once().exit_code, 0);
  m_api.set_version(version("3")); // published again as the latest

  const auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(git_out({"log", "-1", "--format=%s|%aI"}),
            "checkout: roll back to version 3 (was 5)|2026-11-03T10:00:00+00:00\n");
  EXPECT_EQ(head_body(), "Task-Id: " + kTask +
                             "\nTask-Version: 3\nTask-Updated-At: 2026-11-03T10:00:00Z\nTask-Rollback-From: 5\n\n");
  EXPECT_EQ(test::read_text(m_repo / "tasks" / kTask / "task.ts"), version("3").code);
  EXPECT_EQ(m_api.history_requests(kTask), 0) << "a rollback needs only /latest";
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HistoryTest, ANumberWhoseContentChangesIsCalledOutAndNewDatesAloneAreAnUpdate) {
  m_api.set_version(version("5"));
  ASSERT_EQ(once().exit_code, 0);
  m_api.set_version(version("5", "// quietly rewritten\n"));

  const auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}),
            "checkout: version 5 changed upstream without a new version number\n");
  EXPECT_NE(
      head_body().find("Task-Version: 5\nTask-Updated-At: 2026-11-05T10:00:00Z\nTask-Anomaly: version-rewritten\n"),
      std::string::npos)
      << head_body();
  EXPECT_NE(result.err.find("task " + kTask + " (checkout): version 5 changed upstream without a new version number"),
            std::string::npos)
      << result.err;

  test::FakeVersion redated = version("5", "// quietly rewritten\n");
  redated.updated_at = "2026-11-30T10:00:00Z";
  m_api.set_version(redated);
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), "checkout: update to version 5\n");
  EXPECT_EQ(head_body().find("Task-Anomaly"), std::string::npos);
}

TEST_F(HistoryTest, AnAnswerForAnotherVersionFailsTheTaskAndCommitsNothingForIt) {
  m_api.set_version(version("5"));
  ASSERT_EQ(once().exit_code, 0);
  publish("6");
  publish("7");
  m_api.set_version_reply(kTask, "6", {200, version("7").to_json(), {}});
  m_api.set_version(version("8"));

  const auto result = once();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("task " + kTask +
                            " (checkout): cannot fetch version 6 (between versions 5 and 8): "
                            "invalid response: asked for version 6, the answer is version 7"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(commits(), 1) << "neither 7 nor 8 without 6";

  m_api.set_version_reply(kTask, "6", {404, R"({"error":{"code":404,"message":"gone"}})", {}});
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s", "--", "tasks/" + kTask}),
            "checkout: add version 5\ncheckout: update to version 7\ncheckout: update to version 8\n");
}

TEST_F(HistoryTest, DryRunShowsTheVersionsItWouldFillAndWritesNothing) {
  m_api.set_version(version("5"));
  ASSERT_EQ(once().exit_code, 0);
  publish("6");
  m_api.set_version(version("7"));

  const auto result = run_mode("--dry-run");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("updated   " + kTask +
                            " (checkout) version 6 (published before version 7)\n"
                            "updated   " +
                            kTask + " (checkout) version 7\n"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(commits(), 1);
}

TEST_F(HistoryTest, ABackfillAnswerForAnotherVersionImportsNothingOfThatTask) {
  publish("1");
  publish("2");
  m_api.set_version(version("3"));
  m_api.set_version_reply(kTask, "2", {200, version("3").to_json(), {}});

  const auto result = run_mode("--backfill");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("task " + kTask +
                            ": backfill: version 2: invalid response: asked for version 2, the "
                            "answer is version 3"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(commits(), 0) << "not 1, 3, 3";
}

// A kill right after the first time the branch moves during a backfill of more than 64 MiB
// leaves whole tasks only: the next --backfill has nothing to do for them and loses nothing.
TEST_F(HistoryTest, AnInterruptedBackfillLeavesNoTaskHalfImported) {
  constexpr int kVersions = 72;
  std::mt19937_64 random(42);
  std::string megabyte(1 << 20, '\0');
  for (int number = 1; number <= kVersions; ++number) {
    for (char &c : megabyte) // incompressible: 72 versions make more than 64 MiB of pack
      c = static_cast<char>(random());
    test::FakeVersion v = version(std::to_string(number), megabyte);
    number == kVersions ? m_api.set_version(v) : m_api.add_version(v);
  }
  auto backfill = start({"--backfill"});
  ASSERT_TRUE(wait_for_commits(1, std::chrono::seconds(120))) << backfill->err();
  backfill->signal(SIGKILL);
  backfill->wait();
  const int recorded = commits();
  EXPECT_TRUE(recorded == 0 || recorded == kVersions) << recorded << " of the task's versions on the branch";

  const auto again = run_mode("--backfill");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(commits(), kVersions);
  std::string every_version = "checkout: add version 1\n";
  for (int number = 2; number <= kVersions; ++number)
    every_version += "checkout: update to version " + std::to_string(number) + "\n";
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s"}), every_version);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}
