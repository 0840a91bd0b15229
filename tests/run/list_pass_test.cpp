#include "run/list_pass.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "fake_api.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "run/cycle.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "list-pass-key";

// Passes as the daemon runs them (run_cycle), against a fake API whose list carries each task's
// latest version, counting the requests of each kind.
class ListPassTest : public ::testing::Test {
protected:
  ListPassTest() {
    for (int i = 1; i <= 5; ++i) {
      m_ids.push_back(test::numbered_task_id(i));
      serve(static_cast<std::size_t>(i - 1), "1");
      m_api.set_name(m_ids.back(), "task " + std::to_string(i));
    }
    setenv("ANCHORBROWSER_API_KEY", kKey.c_str(), 1);
    log::set_sink([this](std::string_view line) { m_log.emplace_back(line); });
  }
  ~ListPassTest() override {
    unsetenv("ANCHORBROWSER_API_KEY");
    log::set_sink({});
  }

  test::FakeVersion version_of(std::size_t task, const std::string &version) const {
    test::FakeVersion fake;
    fake.task_id = m_ids[task];
    fake.version = version;
    fake.code = "// " + m_ids[task] + " v" + version + "\n";
    return fake;
  }
  void serve(std::size_t task, const std::string &version) { m_api.set_version(version_of(task, version)); }

  Runtime runtime(const std::string &tasks_yaml, const std::string &poll = "") {
    test::write_text(m_dir / "config.yaml", "api: {base_url: '" + m_api.base_url() + "', retries: 0}\n" + poll +
                                                "repo: {path: mirror}\n" + tasks_yaml);
    auto opened = open_runtime(m_dir / "config.yaml", Mirror::Access::read_write);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    return std::move(opened).value();
  }
  std::string configured() const {
    std::string yaml = "tasks:\n";
    for (const auto &id : m_ids)
      yaml += "  - " + id + "\n";
    return yaml;
  }

  int latest_requests() const {
    int total = 0;
    for (const auto &id : m_ids)
      total += m_api.requests(id);
    return total;
  }
  int name_requests() const {
    int total = 0;
    for (const auto &id : m_ids)
      total += m_api.metadata_requests(id);
    return total;
  }
  std::size_t logged(const std::string &text) const {
    return static_cast<std::size_t>(std::count_if(
        m_log.begin(), m_log.end(), [&](const auto &line) { return line.find(text) != std::string::npos; }));
  }
  std::string git_out(const std::vector<std::string> &args) { return test::git((m_dir / "mirror").string(), args).out; }

  test::TempDir m_dir;
  test::FakeApi m_api{kKey};
  std::vector<std::string> m_ids;
  std::vector<std::string> m_log;
};

} // namespace

TEST_F(ListPassTest, ANoChangePassOverAListedTeamMakesOnlyListRequests) {
  Runtime run = runtime("tasks: all\n");
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 5u);
  EXPECT_EQ(name_requests(), 0) << "the list names the tasks";
  const int latest = latest_requests();
  const int lists = m_api.list_requests();

  const PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_EQ(report.failures(), 0u);
  EXPECT_EQ(report.outcomes.size(), 5u);
  EXPECT_EQ(latest_requests(), latest) << "no /latest for a task the list shows unchanged";
  EXPECT_EQ(m_api.list_requests(), lists + 1) << "5 tasks: one page";
  EXPECT_EQ(report.outcomes[2].version, "1");
  EXPECT_TRUE(test::repository_consistent(m_dir / "mirror"));
}

TEST_F(ListPassTest, AChangeSeenInTheListIsFetchedFromLatestAndCommitted) {
  Runtime run = runtime(configured());
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 5u);
  serve(3, "2");
  const int before = m_api.requests(m_ids[3]);
  const int others = latest_requests() - before;

  const PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_EQ(m_api.requests(m_ids[3]), before + 1);
  EXPECT_EQ(latest_requests() - m_api.requests(m_ids[3]), others) << "the unchanged tasks cost nothing";
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), "task 4: update to version 2\n");
  EXPECT_EQ(report.list_contradictions, 0u);
  // In config order, the skipped tasks around the fetched one included.
  ASSERT_EQ(report.outcomes.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(report.outcomes[i].task.id, m_ids[i]);
  EXPECT_TRUE(test::repository_consistent(m_dir / "mirror"));
}

TEST_F(ListPassTest, OnlyLatestIsWrittenAndAListThatLiesIsCorrectedAtTheBackstopPass) {
  Runtime run = runtime(configured(), "poll: {full_check_every: 3}\n");
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 5u); // pass 1
  serve(1, "2");
  m_api.set_listed(m_ids[1], version_of(1, "1")); // the list still shows version 1

  PassReport report = run_cycle(run, PassMode::apply); // pass 2: trusts the list
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_EQ(test::read_text(m_dir / "mirror/tasks" / m_ids[1] / "task.ts"), "// " + m_ids[1] + " v1\n");

  const int before = latest_requests();
  const int lists = m_api.list_requests();
  report = run_cycle(run, PassMode::apply); // pass 3: every task from /latest
  EXPECT_EQ(latest_requests(), before + 5);
  EXPECT_EQ(m_api.list_requests(), lists + 1) << "read to count what it got wrong";
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_EQ(report.list_contradictions, 1u);
  EXPECT_EQ(test::read_text(m_dir / "mirror/tasks" / m_ids[1] / "task.ts"), "// " + m_ids[1] + " v2\n");
  m_api.set_listed(m_ids[1], std::nullopt); // the list catches up

  // The list that shows a version /latest does not have is a contradiction, and never written.
  m_api.set_listed(m_ids[2], version_of(2, "9"));
  report = run_cycle(run, PassMode::apply); // pass 4
  EXPECT_EQ(report.commits(), 0u);
  EXPECT_EQ(report.list_contradictions, 1u);
  EXPECT_EQ(test::read_text(m_dir / "mirror/tasks" / m_ids[2] / "task.ts"), "// " + m_ids[2] + " v1\n");
}

TEST_F(ListPassTest, AListThatAnswers404FallsBackToOneRequestPerTaskAndSaysSoOncePerPass) {
  Runtime run = runtime(configured());
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 5u);
  m_api.set_list_reply(test::FakeApi::Reply{404, R"({"error":{"code":404,"message":"Not found"}})", {}});
  serve(0, "2");
  const int before = latest_requests();

  const PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 1u);
  EXPECT_EQ(report.failures(), 0u);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(latest_requests(), before + 5);
  EXPECT_EQ(
      logged("listing the team's tasks (page 1): HTTP 404: Not found; fetching every task from /latest this pass"), 1u);
}

TEST_F(ListPassTest, WithTasksAllAFailedListSyncsTheMirroredTasksAndReportsIt) {
  Runtime run = runtime("tasks: all\n");
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 5u);
  m_api.set_list_reply(test::FakeApi::Reply{503, R"({"error":{"code":503,"message":"busy"}})", {}});
  serve(4, "2");

  const PassReport report = run_cycle(run, PassMode::apply);
  EXPECT_EQ(report.commits(), 1u);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0], "listing the team's tasks (page 1): HTTP 503: busy");
  EXPECT_EQ(logged("fetching the 5 tasks already mirrored from /latest this pass, so new tasks are not seen"), 1u);
}

TEST_F(ListPassTest, AConfiguredListReadsTheListOnlyWhenItsPagesCostFewerRequests) {
  for (int i = 6; i <= 150; ++i) { // a team of 150 tasks: 2 pages
    test::FakeVersion other;
    other.task_id = test::numbered_task_id(i);
    m_api.set_version(other);
  }
  m_ids.resize(2); // two configured tasks: 2 pages would cost as much as 2 /latest
  Runtime run = runtime(configured());
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 2u);
  EXPECT_EQ(m_api.list_requests(), 1) << "the first page tells the list's size";
  const int before = latest_requests();
  ASSERT_EQ(run_cycle(run, PassMode::apply).commits(), 0u);
  EXPECT_EQ(m_api.list_requests(), 1) << "a list of 2 pages is not worth it for 2 tasks";
  EXPECT_EQ(latest_requests(), before + 2);
}
