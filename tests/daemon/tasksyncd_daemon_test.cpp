// Integration tests of the long-running daemon: the real tasksyncd binary, signals, sd_notify,
// the health endpoint and crash recovery, against the in-process fake API.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <set>
#include <sstream>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-daemon-secret-42";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kTaskC = "0b8f1e2d-3c4a-4b5c-8d6e-7f8091a2b3c4";

class DaemonTest : public test::DaemonFixture {
protected:
  DaemonTest() : DaemonFixture(kKey) {
    serve(kTaskA, "1");
    serve(kTaskB, "1");
    serve(kTaskC, "1");
    write_config({kTaskA, kTaskB});
  }

  // A config of `tasks` polling every second, with the repository at `repo` (m_repo unless given).
  void write_config(const std::vector<std::string> &tasks, const std::string &extra = "",
                    const std::filesystem::path &repo = {}) {
    DaemonFixture::write_config({.timeout_seconds = 30,
                                 .top = "poll:\n  interval_seconds: 1\n",
                                 .repo = repo,
                                 .rest = extra + test::tasks_yaml(tasks)});
  }
};

// Receives sd_notify datagrams on a socket of its own.
class NotifySocket {
public:
  explicit NotifySocket(std::filesystem::path path) : m_path(std::move(path)) {
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", m_path.c_str());
    EXPECT_EQ(::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    const timeval timeout{0, 100'000};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~NotifySocket() { ::close(m_fd); }

  // Receives until a message equal to or starting with `prefix` arrives; false on timeout.
  bool receive_until(const std::string &prefix, std::chrono::milliseconds timeout) {
    return test::wait_until(
        [&] {
          char buffer[4096];
          const ssize_t length = ::recv(m_fd, buffer, sizeof buffer, 0);
          if (length > 0) m_messages.emplace_back(buffer, static_cast<std::size_t>(length));
          return !m_messages.empty() && m_messages.back().rfind(prefix, 0) == 0;
        },
        timeout);
  }

  const std::vector<std::string> &messages() const { return m_messages; }

private:
  std::filesystem::path m_path;
  int m_fd = -1;
  std::vector<std::string> m_messages;
};

} // namespace

TEST_F(DaemonTest, MirrorsOnTheFirstCycleAndPicksUpAChangeOnTheNext) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  serve(kTaskB, "2");
  ASSERT_TRUE(wait_for_commits(3)) << daemon->err();
  EXPECT_EQ(git({"log", "-1", "--format=%s"}).out, kTaskB + ": update to version 2\n");
  stop(*daemon);
  EXPECT_NE(daemon->err().find("pass finished"), std::string::npos);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DaemonTest, SighupAddsATask) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  write_config({kTaskA, kTaskB, kTaskC});
  daemon->signal(SIGHUP);
  ASSERT_TRUE(wait_for_commits(3)) << daemon->err();
  EXPECT_EQ(git({"log", "-1", "--format=%s"}).out, kTaskC + ": add version 1\n");
  EXPECT_NE(daemon->err().find("config reloaded: 3 tasks"), std::string::npos);
  stop(*daemon);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DaemonTest, SighupWithABrokenConfigKeepsTheOldOne) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  test::write_text(m_config, "tasks: [not-a-uuid]\n");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(test::wait_until([&] { return daemon->err().find("config reload failed") != std::string::npos; }, 10s));
  EXPECT_NE(daemon->err().find("tasks[0]: \"not-a-uuid\" is not a task ID"), std::string::npos) << daemon->err();
  EXPECT_FALSE(daemon->wait_for_exit(0ms).has_value()) << "the daemon died on a bad reload";
  serve(kTaskA, "2"); // the old task list is still in force
  ASSERT_TRUE(wait_for_commits(3)) << daemon->err();
  stop(*daemon);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

// The mirror moved away and repo.path pointing at a path that does not exist yet: the reload
// opens (creates) the new repository as a start would, and an unusable path keeps the old one.
TEST_F(DaemonTest, SighupToANewPathAfterTheMirrorMovedAwayOpensItOrKeepsTheOld) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  const std::filesystem::path not_a_directory = m_dir / "a-file";
  test::write_text(not_a_directory, "not a repository\n");
  std::filesystem::rename(m_repo, m_dir / "moved");
  write_config({kTaskA, kTaskB}, "", not_a_directory);
  daemon->signal(SIGHUP);
  ASSERT_TRUE(test::wait_until([&] { return daemon->err().find("config reload failed") != std::string::npos; }, 10s))
      << daemon->err();
  EXPECT_NE(daemon->err().find(not_a_directory.string() + ": exists but is neither a git repository"),
            std::string::npos)
      << daemon->err();

  const std::filesystem::path fresh = m_dir / "new" / "mirror";
  write_config({kTaskA, kTaskB}, "", fresh);
  daemon->signal(SIGHUP);
  ASSERT_TRUE(test::wait_for_commits(fresh, 2, 15s)) << daemon->err();
  EXPECT_FALSE(daemon->wait_for_exit(0ms).has_value()) << "the daemon died on the reload";
  stop(*daemon);
  EXPECT_EQ(daemon->err().find("filesystem_error"), std::string::npos) << daemon->err();
  EXPECT_TRUE(test::repository_consistent(fresh));
  EXPECT_EQ(test::count_commits(m_dir / "moved"), 2);
}

TEST_F(DaemonTest, SigtermWhileARequestHangsExitsPromptly) {
  test::FakeVersion slow;
  slow.task_id = kTaskB;
  m_api.set_reply(kTaskB, {200, slow.to_json(), 60s});
  auto daemon = start();
  // The request has reached the API, which holds its answer for a minute: SIGTERM finds it in flight.
  ASSERT_TRUE(test::wait_until([&] { return m_api.requests(kTaskB) > 0; }, 10s)) << daemon->err();
  stop(*daemon);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DaemonTest, SecondInstanceOnTheSameRepositoryIsRefused) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  for (const std::vector<std::string> &args : {std::vector<std::string>{"--once"}, std::vector<std::string>{}}) {
    auto second = start(args);
    const auto code = second->wait_for_exit(10s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 3);
    EXPECT_NE(second->err().find("another tasksyncd (pid " + std::to_string(daemon->pid()) +
                                 ") is already working on " + m_repo.string()),
              std::string::npos)
        << second->err();
  }
  stop(*daemon);
}

TEST_F(DaemonTest, KillDuringALargeFirstSyncThenRestartCommitsEveryTaskOnce) {
  std::vector<std::string> tasks;
  for (int i = 1; i <= 300; ++i) {
    tasks.push_back(test::numbered_task_id(i));
    serve(tasks.back(), "1");
  }
  // Task 150 hangs: the pass has applied 149 tasks to the work tree and not recorded them yet.
  const std::string &hanging = tasks[149];
  m_api.set_reply(hanging, {500, "", 60s});
  write_config(tasks);
  auto daemon = start();
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(m_repo / "tasks" / tasks[148]); }, 60s))
      << daemon->err();
  daemon->signal(SIGKILL);
  daemon->wait_for_exit(5s);
  ASSERT_LT(commits(), 300) << "the sync finished before the kill; the test proves nothing";
  serve(hanging, "1");

  const test::TasksyncdRun restarted = run_mode("--once");
  EXPECT_EQ(restarted.exit_code, 0) << restarted.err;
  std::istringstream ids(git({"log", "--format=%(trailers:key=Task-Id,valueonly,separator=)"}).out);
  std::multiset<std::string> committed;
  for (std::string line; std::getline(ids, line);) {
    if (!line.empty()) committed.insert(line);
  }
  EXPECT_EQ(committed.size(), 300u);
  for (const auto &id : tasks)
    EXPECT_EQ(committed.count(id), 1u) << id;
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DaemonTest, ServesHealthAndMetrics) {
  const int port = test::free_port();
  write_config({kTaskA, kTaskB}, "http:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  httplib::Client client("127.0.0.1", port);
  std::string health;
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto answer = client.Get("/healthz");
        if (answer) health = answer->body;
        return answer && answer->status == 200;
      },
      10s))
      << daemon->err() << health;
  EXPECT_NE(health.find("\"status\":\"ok\""), std::string::npos) << health;
  EXPECT_NE(health.find("\"repository_writable\":true"), std::string::npos) << health;

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  for (const std::string &expected :
       std::vector<std::string>{"tasksync_commits_total{change=\"added\"} 2",
                                "tasksync_task_last_success_timestamp_seconds{task=\"" + kTaskA + "\"}",
                                "tasksync_fetches_total{outcome=\"ok\"}", "tasksync_api_request_duration_seconds_count",
                                "tasksync_cycle_duration_seconds", "tasksync_last_cycle_end_timestamp_seconds"}) {
    EXPECT_NE(metrics->body.find(expected), std::string::npos) << expected << "\n" << metrics->body;
  }
  stop(*daemon);
}

TEST_F(DaemonTest, TellsSystemdReadyStatusWatchdogAndStopping) {
  NotifySocket socket(m_dir / "notify.sock");
  auto daemon = start({}, {{"NOTIFY_SOCKET", (m_dir / "notify.sock").string()}, {"WATCHDOG_USEC", "400000"}});
  ASSERT_TRUE(socket.receive_until("READY=1", 10s)) << daemon->err();
  ASSERT_TRUE(socket.receive_until("STATUS=", 10s)) << daemon->err();
  EXPECT_EQ(socket.messages().back().rfind("STATUS=2 tasks ok, 0 failed, 2 commits; next pass at ", 0), 0u)
      << socket.messages().back();
  ASSERT_TRUE(socket.receive_until("WATCHDOG=1", 5s));
  daemon->signal(SIGTERM);
  ASSERT_TRUE(socket.receive_until("STOPPING=1", 5s));
  EXPECT_EQ(socket.messages().front(), "READY=1");
  EXPECT_EQ(daemon->wait_for_exit(5s), 0);
}
