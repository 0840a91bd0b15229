#include "run/poller.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "fake_api.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "poller-test-key";
const std::vector<TaskEntry> kTasks = {{"3c90c3cc-0d44-4b50-8888-8dd25736052a", ""},
                                       {"5f0e2a51-8a3b-4c1d-9e2f-0123456789ab", "checkout-flow"},
                                       {"0b8f1e2d-3c4a-4b5c-8d6e-7f8091a2b3c4", ""}};

class PollerTest : public ::testing::Test {
protected:
  PollerTest() {
    m_settings.base_url = *parse_base_url(m_api.base_url());
    m_settings.timeout = std::chrono::seconds(5);
    m_repo.path = m_dir / "mirror";
    for (const auto &task : kTasks)
      serve(task.id, "1");
    log::set_sink([this](std::string_view line) { m_log.emplace_back(line); });
  }
  ~PollerTest() override { log::set_sink({}); }

  void serve(const std::string &id, const std::string &version, bool deleted = false) {
    test::FakeVersion fake;
    fake.task_id = id;
    fake.version = version;
    fake.code = "// " + id + " v" + version + "\n";
    fake.deleted = deleted;
    m_api.set_version(fake);
  }

  // One pass over kTasks by a new poller, recorded on the branch as the cycle does.
  PassReport pass(PassMode mode = PassMode::apply, const std::string &key = kKey) {
    auto pool = FetchPool::create(m_settings, key, 2, m_names);
    EXPECT_TRUE(pool.ok());
    Poller poller(**pool, m_names);
    auto mirror =
        Mirror::open(m_repo, mode == PassMode::apply ? Mirror::Access::read_write : Mirror::Access::read_only);
    EXPECT_TRUE(mirror.ok());
    PassReport report = poller.run_pass(kTasks, *mirror, mode);
    if (mode == PassMode::apply) {
      EXPECT_TRUE(mirror->finish_pass().ok());
    }
    return report;
  }

  std::string git_out(const std::vector<std::string> &args) { return test::git(m_repo.path.string(), args).out; }

  bool logged(const std::string &text) const {
    return std::any_of(m_log.begin(), m_log.end(),
                       [&](const auto &line) { return line.find(text) != std::string::npos; });
  }

  test::TempDir m_dir;
  test::FakeApi m_api{kKey};
  ApiSettings m_settings;
  RepoSettings m_repo;
  TaskNames m_names;
  std::vector<std::string> m_log;
};

} // namespace

TEST_F(PollerTest, CommitsEachChangedTaskOnceInConfigOrder) {
  PassReport report = pass();
  EXPECT_EQ(report.commits(), 3u);
  EXPECT_EQ(report.failures(), 0u);
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s"}),
            kTasks[0].id + ": add version 1\ncheckout-flow: add version 1\n" + kTasks[2].id + ": add version 1\n");

  report = pass();
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_EQ(report.outcomes[1].change, ChangeKind::unchanged);

  serve(kTasks[1].id, "2");
  serve(kTasks[2].id, "1", true);
  report = pass();
  EXPECT_EQ(report.outcomes[0].change, ChangeKind::unchanged);
  EXPECT_EQ(report.outcomes[1].change, ChangeKind::updated);
  EXPECT_EQ(report.outcomes[2].change, ChangeKind::deleted);
  EXPECT_EQ(git_out({"log", "-2", "--format=%s"}),
            kTasks[2].id + ": delete (deleted upstream)\ncheckout-flow: update to version 2\n");
  EXPECT_TRUE(test::repository_consistent(m_repo.path));
}

TEST_F(PollerTest, NamesAreAskedOnlyForTasksWhoseCommitIsDueAndOncePerRun) {
  m_api.set_name(kTasks[0].id, "login-check");
  ASSERT_EQ(pass().commits(), 3u);
  EXPECT_EQ(m_api.metadata_requests(kTasks[0].id), 1);
  EXPECT_EQ(m_api.metadata_requests(kTasks[1].id), 0) << "a configured name needs no request";
  EXPECT_EQ(git_out({"log", "-1", "--format=%s", "HEAD~2"}), "login-check: add version 1\n");

  serve(kTasks[0].id, "2");
  ASSERT_EQ(pass().commits(), 1u);
  EXPECT_EQ(m_api.metadata_requests(kTasks[0].id), 1) << "asked once per run";
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), "login-check: update to version 2\n");

  const int asked = m_api.metadata_requests(kTasks[0].id) + m_api.metadata_requests(kTasks[2].id);
  TaskNames fresh_run;
  auto pool = FetchPool::create(m_settings, kKey, 2, fresh_run);
  ASSERT_TRUE(pool.ok());
  Poller poller(**pool, fresh_run);
  auto mirror = Mirror::open(m_repo, Mirror::Access::read_write);
  ASSERT_TRUE(mirror.ok());
  EXPECT_EQ(poller.run_pass(kTasks, *mirror, PassMode::apply).commits(), 0u);
  EXPECT_EQ(m_api.metadata_requests(kTasks[0].id) + m_api.metadata_requests(kTasks[2].id), asked)
      << "unchanged tasks cost no name request";
}

TEST_F(PollerTest, AFailingTaskIsLoggedAndTheOthersGoOn) {
  m_api.set_reply(kTasks[0].id, {404, R"({"error":{"code":404,"message":"Task or version not found"}})", {}});
  test::FakeVersion wrong;
  wrong.task_id = kTasks[0].id; // answered for the wrong task
  m_api.set_reply(kTasks[1].id, {200, wrong.to_json(), {}});
  PassReport report = pass();
  EXPECT_EQ(report.failures(), 2u);
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_TRUE(logged("task " + kTasks[0].id + ": HTTP 404: Task or version not found"));
  EXPECT_TRUE(logged("task " + kTasks[1].id + " (checkout-flow): invalid response: data.taskId"));
  EXPECT_EQ(git_out({"ls-tree", "--name-only", "HEAD:tasks"}), kTasks[2].id + "\n");
}

TEST_F(PollerTest, A404KeepsFilesAlreadyMirrored) {
  ASSERT_EQ(pass().commits(), 3u);
  m_api.set_reply(kTasks[0].id, {404, R"({"error":{"code":404,"message":"Task or version not found"}})", {}});
  PassReport report = pass();
  EXPECT_EQ(report.failures(), 1u);
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_TRUE(std::filesystem::exists(m_repo.path / "tasks" / kTasks[0].id / "task.ts"));
}

TEST_F(PollerTest, ARejectedKeyStopsThePassAfterOneRequest) {
  std::vector<TaskEntry> many;
  for (int i = 1; i <= 20; ++i) {
    many.push_back({test::numbered_task_id(i), ""});
    serve(many.back().id, "1");
  }
  auto pool = FetchPool::create(m_settings, "wrong-key", 2, m_names);
  ASSERT_TRUE(pool.ok());
  Poller poller(**pool, m_names);
  auto mirror = Mirror::open(m_repo, Mirror::Access::read_write);
  ASSERT_TRUE(mirror.ok());
  const PassReport report = poller.run_pass(many, *mirror, PassMode::apply);
  EXPECT_TRUE(report.api_key_rejected);
  EXPECT_EQ(report.failures(), 20u);
  EXPECT_GE(m_api.rejected_keys(), 1);
  // Without the stop all 20 would go out. Each of the 2 workers may have had one request in
  // flight, and a request whose connection broke is sent again (seen once under CI load).
  EXPECT_LE(m_api.rejected_keys(), 4);
  EXPECT_EQ(std::count_if(m_log.begin(), m_log.end(),
                          [](const auto &line) { return line.find("API key rejected") != std::string::npos; }),
            1);
  EXPECT_FALSE(logged("wrong-key"));
}

TEST_F(PollerTest, DryRunReportsWithoutWriting) {
  PassReport report = pass(PassMode::dry_run);
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_EQ(report.outcomes[0].change, ChangeKind::added);
  EXPECT_EQ(report.outcomes[0].version, "1");
  EXPECT_FALSE(std::filesystem::exists(m_repo.path));

  ASSERT_EQ(pass().commits(), 3u);
  const std::string head = git_out({"rev-parse", "HEAD"});
  serve(kTasks[1].id, "2");
  report = pass(PassMode::dry_run);
  EXPECT_EQ(report.outcomes[0].change, ChangeKind::unchanged);
  EXPECT_EQ(report.outcomes[1].change, ChangeKind::updated);
  EXPECT_EQ(git_out({"rev-parse", "HEAD"}), head);
  EXPECT_EQ(test::read_text(m_repo.path / "tasks" / kTasks[1].id / "task.ts"), "// " + kTasks[1].id + " v1\n");
}

TEST_F(PollerTest, UnknownLanguageIsMirroredAsTextWithAWarning) {
  test::FakeVersion fake;
  fake.task_id = kTasks[0].id;
  fake.language = "cobol";
  fake.code = "DISPLAY 'HI'.\n";
  m_api.set_version(fake);
  PassReport report = pass();
  EXPECT_EQ(report.failures(), 0u);
  EXPECT_EQ(test::read_text(m_repo.path / "tasks" / kTasks[0].id / "task.txt"), "DISPLAY 'HI'.\n");
  EXPECT_TRUE(logged("warning: task " + kTasks[0].id + ": unknown language \"cobol\", mirrored as task.txt"));
}

TEST_F(PollerTest, AHugeRetryAfterInAPassFailsThatTaskAndTheRestIsCommittedBeforeTheNextPass) {
  m_settings.retries = 3;
  m_api.set_reply(
      kTasks[1].id,
      {429, R"({"error":{"code":429,"message":"Slow down"}})", {}, {{"Retry-After", "9223372036854775807"}}});
  auto pool = FetchPool::create(m_settings, kKey, 2, m_names);
  ASSERT_TRUE(pool.ok());
  Poller poller(**pool, m_names);
  auto mirror = Mirror::open(m_repo, Mirror::Access::read_write);
  ASSERT_TRUE(mirror.ok());
  const auto started = std::chrono::steady_clock::now();
  const auto next_pass = started + std::chrono::seconds(30);
  const PassReport report = poller.run_pass(kTasks, *mirror, PassMode::apply, {}, {}, next_pass);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(report.commits(), 2u);
  ASSERT_TRUE(report.outcomes[1].failed());
  EXPECT_NE(report.outcomes[1].error.find("the API asked to wait 31622400 s, longer than the "), std::string::npos)
      << report.outcomes[1].error;
  EXPECT_NE(report.outcomes[1].error.find(" s left before the next pass"), std::string::npos)
      << report.outcomes[1].error;
  EXPECT_EQ(m_api.requests(kTasks[1].id), 1) << "a wait that overflowed into none would retry at once";
  EXPECT_TRUE(logged("task " + kTasks[1].id + " (checkout-flow): HTTP 429: Slow down (gave up after 1 attempt"));
}
