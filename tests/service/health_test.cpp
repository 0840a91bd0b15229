#include "service/health.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

using Clock = HealthTracker::Clock;

const Clock::time_point kStart = Clock::time_point(std::chrono::seconds(1'800'000'000));

TaskOutcome synced(const std::string &id) {
  TaskOutcome outcome;
  outcome.task = {id, ""};
  return outcome;
}

TaskOutcome failed(const std::string &id, int http_status) {
  TaskOutcome outcome = synced(id);
  FetchError error;
  error.kind = http_status ? FetchError::Kind::http_status : FetchError::Kind::transport;
  error.http_status = http_status;
  error.message = http_status ? "HTTP " + std::to_string(http_status) + ": no" : "cannot connect (http://127.0.0.1:1)";
  outcome.error = error.message;
  outcome.fetch_error = error;
  return outcome;
}

std::string status_of(const HealthReport &report) {
  const std::string prefix = "{\"status\":\"";
  if (report.json.rfind(prefix, 0) != 0) return "?";
  return report.json.substr(prefix.size(), report.json.find('"', prefix.size()) - prefix.size());
}

bool has(const HealthReport &report, const std::string &text) { return report.json.find(text) != std::string::npos; }

class HealthTest : public ::testing::Test {
protected:
  HealthReport finish(PassReport report, Clock::time_point at) {
    m_health.pass_started(at - 1s, report.outcomes.size());
    m_health.pass_finished(report, at);
    return m_health.report(at, std::nullopt);
  }

  HealthTracker m_health{100s};
};

} // namespace

TEST_F(HealthTest, IsOkOnlyAfterAPassThatSyncedAndWhileItIsRecent) {
  PassReport report;
  report.outcomes = {synced("a"), synced("b")};
  const HealthReport now = finish(report, kStart);
  EXPECT_TRUE(now.healthy) << now.json;
  EXPECT_EQ(status_of(now), "ok");
  EXPECT_TRUE(has(now, "\"reasons\":[]")) << now.json;
  EXPECT_TRUE(m_health.report(kStart + 299s, std::nullopt).healthy);
  const HealthReport stale = m_health.report(kStart + 300s, std::nullopt);
  EXPECT_FALSE(stale.healthy);
  EXPECT_EQ(status_of(stale), "failing") << stale.json;
  EXPECT_TRUE(has(stale, "no pass finished for 300 s (3 intervals: 300 s)")) << stale.json;
}

TEST_F(HealthTest, StartingWhileTheFirstPassGetsOnEvenPastThreeIntervalsAndFailingOnceItStalls) {
  EXPECT_EQ(status_of(m_health.report(kStart, std::nullopt)), "starting");
  m_health.pass_started(kStart, 1000);
  for (int i = 1; i <= 5; ++i)
    m_health.task_done(kStart + std::chrono::seconds(100 * i));
  const HealthReport long_import = m_health.report(kStart + 550s, std::nullopt);
  EXPECT_FALSE(long_import.healthy);
  EXPECT_EQ(status_of(long_import), "starting") << long_import.json;
  EXPECT_TRUE(has(long_import, "first pass running: 5 of 1000 tasks done")) << long_import.json;
  EXPECT_TRUE(has(long_import, "\"pass_running\":{\"seconds\":550,\"tasks_done\":5,\"tasks\":1000}"))
      << long_import.json;
  const HealthReport stalled = m_health.report(kStart + 800s, std::nullopt);
  EXPECT_EQ(status_of(stalled), "failing") << stalled.json;
  EXPECT_TRUE(has(stalled, "has done no task for 300 s")) << stalled.json;
}

TEST_F(HealthTest, SomeTasksFailingIsDegradedWithTheirIdsAndABoundedList) {
  PassReport report;
  report.outcomes = {synced("ok-task")};
  for (int i = 0; i < 8; ++i)
    report.outcomes.push_back(failed("bad-" + std::to_string(i), 500));
  const HealthReport health = finish(report, kStart);
  EXPECT_EQ(status_of(health), "degraded") << health.json;
  EXPECT_TRUE(has(health, "\"8 of 9 tasks failed\"")) << health.json;
  EXPECT_TRUE(has(health, "\"task bad-0: HTTP 500\"")) << health.json;
  EXPECT_TRUE(has(health, "\"task bad-4: HTTP 500\"")) << health.json;
  EXPECT_FALSE(has(health, "bad-5")) << health.json;
  EXPECT_TRUE(has(health, "\"and 3 more failed tasks\"")) << health.json;
}

TEST_F(HealthTest, NothingSyncingIsFailing) {
  PassReport down;
  down.outcomes = {failed("a", 0), failed("b", 0)};
  HealthReport health = finish(down, kStart);
  EXPECT_EQ(status_of(health), "failing") << health.json;
  EXPECT_TRUE(has(health, "\"all 2 tasks failed\"")) << health.json;
  EXPECT_TRUE(has(health, "\"task a: API unreachable or not answering\"")) << health.json;

  PassReport rejected;
  rejected.api_key_rejected = true;
  rejected.outcomes = {failed("a", 401), synced("b")};
  health = finish(rejected, kStart + 10s);
  EXPECT_EQ(status_of(health), "failing") << health.json;
  EXPECT_TRUE(has(health, "\"API key rejected (HTTP 401)\"")) << health.json;

  PassReport no_list;
  no_list.problems = {"task list: HTTP 500: down"};
  health = finish(no_list, kStart + 20s);
  EXPECT_EQ(status_of(health), "failing") << health.json;
  EXPECT_TRUE(has(health, "\"no task synced\"")) << health.json;
  EXPECT_TRUE(has(health, "\"task list: HTTP 500: down\"")) << health.json;

  PassReport unchanged; // a pass over no tasks at all, or all unchanged, is fine
  health = finish(unchanged, kStart + 30s);
  EXPECT_EQ(status_of(health), "ok") << health.json;
}

TEST_F(HealthTest, ARecordingFailureIsFailingUntilAPassRecords) {
  PassReport broken;
  broken.outcomes = {synced("a")};
  broken.outcomes[0].commit_id = "c1";
  broken.record_error = "repository /m: cannot write the pack: No space left on device";
  broken.problems = {broken.record_error};
  HealthReport health = finish(broken, kStart);
  EXPECT_EQ(status_of(health), "failing") << health.json;
  EXPECT_TRUE(has(health, "the last pass could not be recorded: repository /m: cannot write the pack: No space left"))
      << health.json;
  EXPECT_EQ(health.json.find("No space left on device\",\"repository"), std::string::npos)
      << "said twice: " << health.json;

  PassReport no_change;
  no_change.outcomes = {synced("a")};
  EXPECT_EQ(status_of(finish(no_change, kStart + 10s)), "failing") << "nothing was recorded since";
  PassReport recorded = broken;
  recorded.record_error.clear();
  recorded.problems.clear();
  EXPECT_EQ(status_of(finish(recorded, kStart + 20s)), "ok");
}

TEST_F(HealthTest, AnUnwritableRepositoryIsFailing) {
  PassReport report;
  report.outcomes = {synced("a")};
  finish(report, kStart);
  const HealthReport health =
      m_health.report(kStart, std::string("repository not writable: /m/.git: Permission denied"));
  EXPECT_EQ(status_of(health), "failing") << health.json;
  EXPECT_TRUE(has(health, "\"repository_writable\":false")) << health.json;
  EXPECT_TRUE(has(health, "/m/.git: Permission denied")) << health.json;
}

TEST_F(HealthTest, PushesFailingForMoreThanThreeIntervalsAreDegraded) {
  PassReport failing_push;
  failing_push.outcomes = {synced("a")};
  failing_push.push = PushOutcome::failed;
  failing_push.push_error = "push to ssh://git@host/x: the ssh server refused the key";
  failing_push.problems = {failing_push.push_error};
  EXPECT_EQ(status_of(finish(failing_push, kStart)), "ok") << "one failed push is not yet trouble";
  EXPECT_EQ(status_of(finish(failing_push, kStart + 200s)), "ok");
  const HealthReport health = finish(failing_push, kStart + 300s);
  EXPECT_EQ(status_of(health), "degraded") << health.json;
  EXPECT_TRUE(has(health, "\"push failing for 300 s: push to ssh://git@host/x: the ssh server refused the key\""))
      << health.json;
  PassReport pushed = failing_push;
  pushed.push = PushOutcome::ok;
  pushed.push_error.clear();
  pushed.problems.clear();
  EXPECT_EQ(status_of(finish(pushed, kStart + 310s)), "ok");
}

TEST_F(HealthTest, ReasonsAreBoundedAndEscaped) {
  PassReport report;
  report.outcomes = {synced("a")};
  report.problems = {std::string(1000, 'x') + "\n\"", "two", "three", "four"};
  const HealthReport health = finish(report, kStart);
  EXPECT_EQ(status_of(health), "degraded");
  EXPECT_EQ(health.json.find(std::string(200, 'x')), std::string::npos) << health.json;
  EXPECT_TRUE(has(health, "x...\"")) << health.json;
  EXPECT_FALSE(has(health, "four")) << health.json;
  EXPECT_LT(health.json.size(), 1000u) << health.json;

  PassReport unrecorded;
  unrecorded.record_error = "repository /m: " + std::string(500, 'y');
  unrecorded.problems = {unrecorded.record_error};
  const HealthReport failing = finish(unrecorded, kStart + 1s);
  const auto start = failing.json.find("the last pass could not be recorded");
  ASSERT_NE(start, std::string::npos) << failing.json;
  EXPECT_EQ(failing.json.substr(start, 161).find("...\""), 157u) << "a reason is at most 160 bytes: " << failing.json;
}

TEST(RepositoryWriteProblem, NamesAMissingDirectoryAndTheReason) {
  test::TempDir dir;
  for (const auto *sub : {".git/objects/pack", ".git/refs/heads", "tasks"})
    std::filesystem::create_directories(dir / sub);
  EXPECT_EQ(repository_write_problem(dir.path()), std::nullopt);
  std::filesystem::remove(dir / ".git/refs/heads");
  EXPECT_EQ(repository_write_problem(dir.path()),
            "repository not writable: " + (dir / ".git/refs/heads").string() + ": No such file or directory");
}

TEST(RepositoryWriteProblem, NamesADirectoryWithoutWritePermission) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write to a directory without write permission";
  test::TempDir dir;
  for (const auto *sub : {".git/objects/pack", ".git/refs/heads", "tasks"})
    std::filesystem::create_directories(dir / sub);
  ::chmod((dir / ".git/objects/pack").c_str(), 0555);
  EXPECT_EQ(repository_write_problem(dir.path()),
            "repository not writable: " + (dir / ".git/objects/pack").string() + ": Permission denied");
  ::chmod((dir / ".git/objects/pack").c_str(), 0755);
}
