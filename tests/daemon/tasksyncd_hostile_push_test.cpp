// Attacks on the push, against the real tasksyncd binary: a remote that takes the connection and
// never answers (with --once, and with the daemon stopped meanwhile), and a remote that redirects
// to another port to collect the push token. Every fake server listens on loopback only.
#include <gtest/gtest.h>
#include <httplib.h>

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "daemon_fixture.hpp"
#include "silent_listener.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-push-7c41";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kToken = "push-token-9f3e2d1c";

// An HTTP server on 127.0.0.1 that answers every request with `answer` and keeps each request's
// Authorization header ("" when it had none).
class RecordingServer {
public:
  explicit RecordingServer(std::function<void(const httplib::Request &, httplib::Response &)> answer)
      : m_answer(std::move(answer)) {
    m_server.Get(".*", [this](const httplib::Request &request, httplib::Response &response) {
      {
        std::lock_guard lock(m_mutex);
        m_authorizations.push_back(request.get_header_value("Authorization"));
      }
      m_answer(request, response);
    });
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
  }
  ~RecordingServer() {
    m_server.stop();
    m_thread.join();
  }

  int port() const { return m_port; }
  // The Authorization header of each request so far.
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(m_mutex);
    return m_authorizations;
  }

private:
  std::function<void(const httplib::Request &, httplib::Response &)> m_answer;
  httplib::Server m_server;
  int m_port = 0;
  std::thread m_thread;
  mutable std::mutex m_mutex;
  std::vector<std::string> m_authorizations;
};

class HostilePushTest : public test::DaemonFixture {
protected:
  HostilePushTest() : DaemonFixture(kKey) {
    serve(kTask);
    test::write_text(m_token, kToken + "\n");
  }

  // A config that pushes to `remote`, with `push_extra` (further repo.push keys, each line
  // indented by four spaces).
  void write_config(const std::string &remote, const std::string &push_extra = "") {
    DaemonFixture::write_config({.timeout_seconds = 10,
                                 .repo_keys = "  push:\n    remote: " + remote + "\n" + push_extra,
                                 .rest = test::tasks_yaml({kTask})});
  }

  // `tasksyncd --once`, which must end by itself within 30 s.
  test::TasksyncdRun once() {
    auto run = DaemonFixture::once({}, 30s);
    EXPECT_TRUE(run.exit_code.has_value()) << "tasksyncd --once did not end within 30 s:\n" << run.err;
    EXPECT_EQ(run.err.find(kToken), std::string::npos) << "the push token was logged";
    return run;
  }

  // The commit is on the local branch and not on any remote: the next pass pushes it.
  void expect_commit_kept_for_the_next_push() {
    EXPECT_EQ(commits("main"), 1);
    EXPECT_NE(git({"rev-parse", "--verify", "-q", "refs/remotes/tasksync/main"}).exit_code, 0)
        << "the commit is recorded as pushed";
  }

  std::filesystem::path m_token = m_dir / "push-token";
};

std::string remote_url(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/x.git"; }

} // namespace

TEST_F(HostilePushTest, ARemoteThatNeverAnswersFailsThePushAtItsBound) {
  test::SilentListener remote;
  ASSERT_NE(remote.port(), 0);
  write_config(remote_url(remote.port()), "    timeout_seconds: 2\n");
  const auto run = once();
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(remote.connected_to());
  EXPECT_NE(run.err.find("push to " + remote_url(remote.port()) +
                         " failed: no answer within 2 s (repo.push.timeout_seconds); the commits stay here"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("pass finished: 1 tasks, 1 commits, 0 failed, push failed"), std::string::npos) << run.err;
  expect_commit_kept_for_the_next_push();
}

TEST_F(HostilePushTest, SigtermWhileAPushWaitsOnASilentRemoteExitsPromptly) {
  test::SilentListener remote;
  write_config(remote_url(remote.port())); // the default bound, 60 s: far beyond the stop's 5 s
  auto daemon = start();
  ASSERT_TRUE(test::wait_until([&] { return remote.connected_to(); }, 30s)) << daemon->err();
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_NE(daemon->err().find("push to " + remote_url(remote.port()) + " failed: stopped: tasksyncd is stopping"),
            std::string::npos)
      << daemon->err();
  expect_commit_kept_for_the_next_push();
}

TEST_F(HostilePushTest, ARedirectToAnotherPortGetsNeitherTheTokenNorAnyRequest) {
  // The collector asks for credentials as a git server would.
  RecordingServer collector([](const httplib::Request &, httplib::Response &response) {
    response.status = 401;
    response.set_header("WWW-Authenticate", "Basic realm=\"git\"");
  });
  // The remote sends its first request (GET /info/refs) there.
  RecordingServer remote([&](const httplib::Request &request, httplib::Response &response) {
    response.status = 302;
    response.set_header("Location", remote_url(collector.port()) + "/info/refs?" +
                                        request.target.substr(request.target.find('?') + 1));
  });
  write_config(remote_url(remote.port()), "    token_file: " + m_token.string() + "\n");
  const auto run = once();
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(remote.authorizations().size(), 1u);
  for (const std::string &authorization : collector.authorizations()) {
    EXPECT_NE(authorization, "Basic " + test::encode_base64("x-access-token:" + kToken)) << "the token was sent there";
  }
  EXPECT_TRUE(collector.authorizations().empty()) << "a request was sent to the redirect's target";
  EXPECT_NE(run.err.find("push to " + remote_url(remote.port()) + " failed: the remote redirected to 127.0.0.1:" +
                         std::to_string(collector.port()) + "; tasksync sends nothing there (it connects only to " +
                         "127.0.0.1:" + std::to_string(remote.port()) + ", repo.push.remote's host and port)"),
            std::string::npos)
      << run.err;
  expect_commit_kept_for_the_next_push();
}
