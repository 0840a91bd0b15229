// Integration tests of what an operator sees of the running daemon: /healthz's status and reasons,
// a pass on demand (SIGUSR1, POST /sync), and /metrics, against the real tasksyncd binary and the
// fake API.
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <set>
#include <sstream>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-health-secret-77";
const std::string kSyncToken = "sync-token-9f8e7d6c5b4a39281706";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

// An answer of /healthz.
struct Health {
  int status = 0;
  std::string body;

  bool says(const std::string &text) const { return body.find(text) != std::string::npos; }
};

class HealthTest : public test::DaemonFixture {
protected:
  HealthTest() : DaemonFixture(kKey) {
    serve(kTaskA);
    serve(kTaskB);
  }

  // A config polling every `interval` seconds (long: the tests start passes themselves), serving
  // http.listen, with `extra` lines under repo: and at the top level.
  void write_config(const std::vector<std::string> &tasks, int interval = 300, const std::string &repo_extra = "",
                    const std::string &http_extra = "", const std::string &base_url = "") {
    DaemonFixture::write_config(
        {.base_url = base_url,
         .api = "  retries: 0\n",
         .top = "poll:\n  interval_seconds: " + std::to_string(interval) + "\n",
         .repo_keys = repo_extra,
         .rest = "http:\n  listen: 127.0.0.1:" + std::to_string(m_port) + "\n" + http_extra + test::tasks_yaml(tasks)});
  }

  // The daemon, with `key` as its API key.
  std::unique_ptr<test::ChildProcess> start(const std::string &key = kKey) {
    return DaemonFixture::start({}, {{"ANCHORBROWSER_API_KEY", key}});
  }

  Health health() {
    httplib::Client client("127.0.0.1", m_port);
    client.set_connection_timeout(2s);
    auto answer = client.Get("/healthz");
    return answer ? Health{answer->status, answer->body} : Health{};
  }

  // Waits for /healthz to say `status`; the last answer either way.
  Health wait_for_health(const std::string &status, std::chrono::milliseconds timeout = 20s) {
    Health last;
    test::wait_until(
        [&] {
          last = health();
          return last.says("\"status\":\"" + status + "\"");
        },
        timeout);
    return last;
  }

  httplib::Result post_sync(const httplib::Headers &headers) {
    httplib::Client client("127.0.0.1", m_port);
    return client.Post("/sync", headers, "", "text/plain");
  }

  void stop(test::ChildProcess &daemon) { DaemonFixture::stop(daemon, kSyncToken); }
};

} // namespace

TEST_F(HealthTest, HealthyIsOkWithNoReasons) {
  write_config({kTaskA, kTaskB});
  auto daemon = start();
  const Health health = wait_for_health("ok");
  EXPECT_EQ(health.status, 200) << health.body << daemon->err();
  EXPECT_TRUE(health.says("\"reasons\":[]")) << health.body;
  EXPECT_TRUE(health.says("\"tasks\":2,\"failed_tasks\":0,\"repository_writable\":true")) << health.body;
  stop(*daemon);
}

TEST_F(HealthTest, TheFirstPassIsStartingWithItsProgressThenOk) {
  write_config({kTaskA, kTaskB});
  m_api.set_reply(kTaskB, {200, test::task_version(kTaskB, "1").to_json(), 3000ms});
  auto daemon = start();
  // Before the first pass begins (the status server starts first) it says "no pass started yet".
  Health starting;
  test::wait_until(
      [&] {
        starting = health();
        return starting.says("first pass running: ");
      },
      10s);
  EXPECT_EQ(starting.status, 503) << starting.body << daemon->err();
  EXPECT_TRUE(starting.says("\"status\":\"starting\"")) << starting.body;
  EXPECT_TRUE(starting.says("first pass running: ")) << starting.body;
  EXPECT_TRUE(starting.says(" of 2 tasks done")) << starting.body;
  EXPECT_TRUE(starting.says("\"pass_running\":{\"seconds\":")) << starting.body;
  EXPECT_EQ(wait_for_health("ok").status, 200) << daemon->err();
  stop(*daemon);
}

TEST_F(HealthTest, AnApiDownForEveryTaskIsFailing) {
  write_config({kTaskA, kTaskB}, 300, "", "", "http://127.0.0.1:" + std::to_string(test::free_port()));
  auto daemon = start();
  const Health health = wait_for_health("failing");
  EXPECT_EQ(health.status, 503) << health.body << daemon->err();
  EXPECT_TRUE(health.says("\"all 2 tasks failed\"")) << health.body;
  EXPECT_TRUE(health.says("\"task " + kTaskA + ": API unreachable or not answering\"")) << health.body;
  stop(*daemon);
}

TEST_F(HealthTest, ARejectedKeyIsFailing) {
  write_config({kTaskA, kTaskB});
  auto daemon = start("sk-not-the-right-key");
  const Health health = wait_for_health("failing");
  EXPECT_EQ(health.status, 503) << health.body << daemon->err();
  EXPECT_TRUE(health.says("\"API key rejected (HTTP 401)\"")) << health.body;
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
}

TEST_F(HealthTest, SomeTasksFailingIsDegradedNamingThem) {
  write_config({kTaskA, kTaskB});
  m_api.set_reply(kTaskB, {500, R"({"error":"Failed to retrieve task version"})"});
  auto daemon = start();
  const Health health = wait_for_health("degraded");
  EXPECT_EQ(health.status, 503) << health.body << daemon->err();
  EXPECT_TRUE(health.says("\"1 of 2 tasks failed\"")) << health.body;
  EXPECT_TRUE(health.says("\"task " + kTaskB + ": HTTP 500\"")) << health.body;
  EXPECT_EQ(health.body.find(kTaskA), std::string::npos) << health.body;
  EXPECT_NE(metrics().find("tasksync_task_failing{task=\"" + kTaskB + "\"} 1"), std::string::npos) << metrics();
  stop(*daemon);
}

TEST_F(HealthTest, SigusrOneStartsAPassNow) {
  write_config({kTaskA, kTaskB});
  auto daemon = start();
  // The first pass has ended, not only moved the branch: a signal during it asks for one more
  // pass after it, which the test below is not about.
  ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) == 1; }, 15s)) << daemon->err();
  ASSERT_EQ(commits(), 2) << daemon->err();
  m_api.set_version(test::task_version(kTaskA, "2"));
  daemon->signal(SIGUSR1);
  EXPECT_TRUE(wait_for_commits(3, 15s)) << "poll.interval is 300 s\n" << daemon->err();
  EXPECT_NE(daemon->err().find("SIGUSR1: starting a pass"), std::string::npos) << daemon->err();
  stop(*daemon);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HealthTest, SignalsDuringAPassGiveOneMorePassNotOneEach) {
  write_config({kTaskA, kTaskB});
  auto daemon = start();
  ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) == 1; }, 15s)) << daemon->err();
  // A pass that takes 2 s, and five requests while it runs.
  m_api.set_reply(kTaskA, {200, test::task_version(kTaskA, "2").to_json(), 2000ms});
  daemon->signal(SIGUSR1);
  ASSERT_TRUE(test::wait_until([&] { return m_api.requests(kTaskA) >= 2; }, 10s)) << daemon->err();
  for (int i = 0; i < 4; ++i)
    daemon->signal(SIGUSR1);
  ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) == 3; }, 20s)) << daemon->err();
  EXPECT_FALSE(test::wait_until([&] { return test::passes_finished(*daemon) > 3; }, 3s)) << daemon->err();
  EXPECT_NE(daemon->err().find("SIGUSR1: a pass follows the one running"), std::string::npos) << daemon->err();
  stop(*daemon);
}

TEST_F(HealthTest, PostSyncWithTheTokenStartsAPassAndAnyOtherIsRefused) {
  test::write_text(m_dir / "sync-token", kSyncToken + "\n");
  write_config({kTaskA, kTaskB}, 300, "", "  sync_token_file: sync-token\n");
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2, 15s)) << daemon->err();
  ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) == 1; }, 10s)) << daemon->err();
  m_api.set_version(test::task_version(kTaskA, "2"));
  for (const httplib::Headers &refused : std::vector<httplib::Headers>{
           {}, {{"Authorization", "Bearer not-the-token-at-all"}}, {{"Authorization", "Bearer " + kSyncToken + "0"}}}) {
    auto answer = post_sync(refused);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 401) << answer->body;
  }
  EXPECT_FALSE(wait_for_commits(3, 2s)) << "a refused request started a pass\n" << daemon->err();
  auto accepted = post_sync({{"Authorization", "Bearer " + kSyncToken}});
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202) << accepted->body;
  EXPECT_TRUE(wait_for_commits(3, 15s)) << "poll.interval is 300 s\n" << daemon->err();
  EXPECT_NE(daemon->err().find("POST /sync from 127.0.0.1: refused, missing or wrong bearer token"), std::string::npos)
      << daemon->err();
  stop(*daemon);
}

TEST_F(HealthTest, SighupReadsTheSyncTokenAgain) {
  test::write_text(m_dir / "sync-token", kSyncToken + "\n");
  write_config({kTaskA, kTaskB}, 300, "", "  sync_token_file: sync-token\n");
  auto daemon = start();
  ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) == 1; }, 15s)) << daemon->err();
  const std::string rotated = kSyncToken + "-rotated";
  test::write_text(m_dir / "sync-token", rotated + "\n");
  daemon->signal(SIGHUP);
  daemon->signal(SIGUSR1); // the reload applies at the start of the next pass
  ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(*daemon) == 2; }, 15s)) << daemon->err();
  auto old_token = post_sync({{"Authorization", "Bearer " + kSyncToken}});
  ASSERT_TRUE(old_token);
  EXPECT_EQ(old_token->status, 401);
  auto new_token = post_sync({{"Authorization", "Bearer " + rotated}});
  ASSERT_TRUE(new_token);
  EXPECT_EQ(new_token->status, 202);
  stop(*daemon);
  EXPECT_EQ(daemon->err().find(rotated), std::string::npos) << daemon->err();
}

TEST_F(HealthTest, AnUnreadableSyncTokenFileStopsTheStartNamingThePath) {
  write_config({kTaskA}, 300, "", "  sync_token_file: " + (m_dir / "absent").string() + "\n");
  auto daemon = start();
  EXPECT_EQ(daemon->wait_for_exit(15s).value_or(-1), 2) << daemon->err();
  EXPECT_NE(daemon->err().find("http.sync_token_file " + (m_dir / "absent").string() +
                               ": cannot read: No such file or directory"),
            std::string::npos)
      << daemon->err();
}

TEST_F(HealthTest, ATaskRemovedBySighupLosesItsSeries) {
  write_config({kTaskA, kTaskB});
  auto daemon = start();
  const std::string last_success_b = "tasksync_task_last_success_timestamp_seconds{task=\"" + kTaskB + "\"}";
  ASSERT_TRUE(test::wait_until([&] { return metrics().find(last_success_b) != std::string::npos; }, 15s))
      << daemon->err();
  write_config({kTaskA});
  daemon->signal(SIGHUP);
  daemon->signal(SIGUSR1); // the reload applies at the start of the next pass
  std::string text;
  EXPECT_TRUE(test::wait_until(
      [&] {
        text = metrics();
        return !text.empty() && text.find(kTaskB) == std::string::npos;
      },
      15s))
      << text << daemon->err();
  EXPECT_NE(text.find("tasksync_task_last_success_timestamp_seconds{task=\"" + kTaskA + "\"}"), std::string::npos)
      << text;
  stop(*daemon);
}

// A scrape of a daemon that synced a task, failed one and pushed: promtool finds nothing to
// complain about, and the metrics table of docs/operations.md (README's before it became a door)
// names every metric in it.
TEST_F(HealthTest, MetricsPassPromtoolAndReadmeListsEachOfThem) {
  const auto remote = m_dir / "remote.git";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", remote.string()}).exit_code, 0);
  write_config({kTaskA, kTaskB}, 300, "  push:\n    remote: " + remote.string() + "\n");
  m_api.set_reply(kTaskB, {500, R"({"error":"Failed to retrieve task version"})"});
  auto daemon = start();
  std::string text;
  ASSERT_TRUE(test::wait_until(
      [&] {
        text = metrics();
        return text.find("tasksync_pushes_total{outcome=\"ok\"} 1") != std::string::npos;
      },
      20s))
      << text << daemon->err();
  for (const std::string &expected : std::vector<std::string>{
           "tasksync_build_info{version=\"" TASKSYNC_VERSION "\"} 1",
           "tasksync_pushes_total{outcome=\"failed\"} 0",
           "tasksync_last_push_success_timestamp_seconds ",
           "tasksync_task_failing{task=\"" + kTaskA + "\"} 0",
           "tasksync_task_failing{task=\"" + kTaskB + "\"} 1",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  stop(*daemon);

  const std::string readme = test::read_text(std::filesystem::path(TASKSYNC_SOURCE_DIR) / "docs/operations.md");
  std::istringstream lines(text);
  int names = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    ++names;
    EXPECT_NE(readme.find("| `" + name), std::string::npos) << "the metrics table of docs/operations.md lacks " << name;
  }
  EXPECT_GE(names, 14);

  if (test::run_process({"sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus; tools/install-deps installs it)";
  }
  test::write_text(m_dir / "scrape.txt", text);
  const auto checked =
      test::run_process({"sh", "-c", "promtool check metrics < \"$0\"", (m_dir / "scrape.txt").string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << text;
  EXPECT_EQ(checked.out + checked.err, "") << text;
}
