#include "publish/pusher.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/base64.hpp"
#include "base/log.hpp"
#include "fake_api.hpp"
#include "git/mirror.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "silent_listener.hpp"
#include "ssh_server.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace tasksync;

namespace {

const std::string kTaskA1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskA2 = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kTaskB1 = "0b6f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
const std::string kTaskB2 = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

Snapshot snapshot(const std::string &code) {
  return Snapshot{{{"task.json", "{\n  \"code\": \"" + code + "\"\n}\n"}, {"task.ts", code}}};
}

CommitInfo info(const std::string &task, const std::string &version) {
  return {task, task, version, "2026-11-20T16:31:07+02:00", {1795185067, 120}};
}

// Git's smart HTTP protocol (`git http-backend` as a CGI program) for the repositories under
// `root`, behind HTTP basic authentication with `user` and `token`; over TLS with `tls` when given.
class GitHttpServer {
public:
  GitHttpServer(std::filesystem::path root, std::string token, std::string user = "x-access-token",
                std::optional<test::TlsIdentity> tls = std::nullopt)
      : m_root(std::move(root)), m_token(std::move(token)), m_user(std::move(user)),
        m_server(tls ? std::make_unique<httplib::SSLServer>(tls->cert_file.c_str(), tls->key_file.c_str())
                     : std::make_unique<httplib::Server>()),
        m_scheme(tls ? "https" : "http") {
    m_server->Get(".*",
                  [this](const httplib::Request &request, httplib::Response &response) { handle(request, response); });
    m_server->Post(".*",
                   [this](const httplib::Request &request, httplib::Response &response) { handle(request, response); });
    m_port = m_server->bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server->listen_after_bind(); });
  }
  ~GitHttpServer() {
    m_server->stop();
    m_thread.join();
  }

  // The URL of the repository `name` under the root.
  std::string url(const std::string &name) const {
    return m_scheme + "://127.0.0.1:" + std::to_string(m_port) + "/" + name;
  }
  // Requests answered 401 so far.
  int unauthorized() const { return m_unauthorized; }

private:
  void handle(const httplib::Request &request, httplib::Response &response) {
    const std::string authorization = request.get_header_value("Authorization");
    if (authorization != "Basic " + test::encode_base64(m_user + ":" + m_token)) {
      ++m_unauthorized;
      response.status = 401;
      response.set_header("WWW-Authenticate", "Basic realm=\"git\"");
      return;
    }
    test::TempDir exchange;
    test::write_text(exchange / "in", request.body);
    const std::size_t query = request.target.find('?');
    const test::ProcessResult cgi =
        test::run_process({"sh", "-c", "exec git http-backend <\"$1\" >\"$2\"", "sh", (exchange / "in").string(),
                           (exchange / "out").string()},
                          {{"GIT_PROJECT_ROOT", m_root.string()},
                           {"GIT_HTTP_EXPORT_ALL", "1"},
                           {"PATH_INFO", request.path},
                           {"REQUEST_METHOD", request.method},
                           {"QUERY_STRING", query == std::string::npos ? "" : request.target.substr(query + 1)},
                           {"CONTENT_TYPE", request.get_header_value("Content-Type")},
                           {"CONTENT_LENGTH", std::to_string(request.body.size())},
                           {"REMOTE_USER", m_user},
                           {"REMOTE_ADDR", "127.0.0.1"}});
    const std::string out = test::read_text(exchange / "out");
    const std::size_t end = out.find("\r\n\r\n");
    if (cgi.exit_code != 0 || end == std::string::npos) {
      response.status = 500;
      return;
    }
    std::string content_type = "text/plain";
    for (std::size_t start = 0; start < end;) {
      const std::size_t line_end = out.find("\r\n", start);
      const std::string line = out.substr(start, line_end - start);
      start = line_end + 2;
      const std::size_t colon = line.find(": ");
      const std::string name = line.substr(0, colon);
      const std::string value = line.substr(colon + 2);
      if (name == "Status")
        response.status = std::stoi(value);
      else if (name == "Content-Type")
        content_type = value;
      else
        response.set_header(name, value);
    }
    response.set_content(out.substr(end + 4), content_type);
  }

  std::filesystem::path m_root;
  std::string m_token;
  std::string m_user;
  std::unique_ptr<httplib::Server> m_server;
  std::string m_scheme;
  int m_port = 0;
  std::thread m_thread;
  std::atomic<int> m_unauthorized{0};
};

class PusherTest : public ::testing::Test {
protected:
  PusherTest() {
    log::set_sink([this](std::string_view line) {
      const std::lock_guard lock(m_log_mutex);
      m_log.emplace_back(line);
    });
    m_remote = m_dir / "remote.git";
    EXPECT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", m_remote.string()}).exit_code, 0);
  }
  ~PusherTest() override { log::set_sink({}); }

  RepoSettings settings(const std::string &name, const std::string &remote = "") const {
    RepoSettings result;
    result.path = m_dir / name;
    result.push = PushSettings{remote.empty() ? m_remote.string() : remote, "main", {}, {}};
    return result;
  }

  // Commits `code` as version `version` of `task` with a real Mirror, as one pass would.
  static void commit(const RepoSettings &repo, const std::string &task, const std::string &code,
                     const std::string &version = "1") {
    auto mirror = Mirror::open(repo, Mirror::Access::read_write);
    ASSERT_TRUE(mirror.ok()) << mirror.error().message;
    auto applied = mirror->apply(snapshot(code), info(task, version));
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    ASSERT_TRUE(mirror->finish_pass().ok());
  }

  // Pushes `repo` through a Mirror opened for it, as a cycle would after its pass.
  static Result<PushReport> try_push(const RepoSettings &repo) {
    auto mirror = Mirror::open(repo, Mirror::Access::read_write);
    if (!mirror) return mirror.error();
    return Pusher(repo).push(*mirror);
  }

  // The message of a push of `repo` that must fail.
  static std::string push_failure(const RepoSettings &repo) {
    auto report = try_push(repo);
    EXPECT_FALSE(report.ok());
    return report.ok() ? "" : report.error().message;
  }

  // Pushes `repo` (through `mirror` when it is open already), which must succeed.
  PushReport push(const RepoSettings &repo, Mirror *mirror = nullptr) {
    const std::string before = remote_tip();
    auto report = mirror ? Pusher(repo).push(*mirror) : try_push(repo);
    EXPECT_TRUE(report.ok()) << report.error().message;
    const std::string after = remote_tip();
    if (!before.empty()) {
      // History that reached the remote is never rewritten.
      EXPECT_EQ(test::git(m_remote.string(), {"merge-base", "--is-ancestor", before, after}).exit_code, 0)
          << before << " is no longer in the remote's history (" << after << ")";
    }
    return report.ok() ? *report : PushReport{};
  }

  std::size_t pending(const RepoSettings &repo) const {
    auto mirror = Mirror::open(repo, Mirror::Access::read_only);
    EXPECT_TRUE(mirror.ok()) << mirror.error().message;
    if (!mirror) return 0;
    auto count = Pusher(repo).pending(*mirror);
    EXPECT_TRUE(count.ok()) << count.error().message;
    return count.ok() ? *count : 0;
  }

  // A token file holding `token` and a line break.
  std::filesystem::path token_file(const std::string &token) const {
    test::write_text(m_dir / "token", token + "\n");
    return m_dir / "token";
  }

  // No line logged so far holds "secret".
  void expect_no_secret_logged() const {
    for (const std::string &line : m_log)
      EXPECT_EQ(line.find("secret"), std::string::npos) << line;
  }

  static std::string git_out(const std::filesystem::path &repo, const std::vector<std::string> &args) {
    auto result = test::git(repo.string(), args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }

  std::string remote_tip() const {
    auto result = test::git(m_remote.string(), {"rev-parse", "--verify", "-q", "refs/heads/main"});
    return result.exit_code == 0 ? result.out.substr(0, 40) : "";
  }

  static std::string head(const RepoSettings &repo) { return git_out(repo.path, {"rev-parse", "HEAD"}).substr(0, 40); }

  // The remote's history has no merge commits.
  void expect_linear() const { EXPECT_EQ(git_out(m_remote, {"rev-list", "--min-parents=2", "main"}), ""); }

  std::vector<std::string> remote_task_ids() const {
    std::string out = git_out(m_remote, {"log", "--format=%(trailers:key=Task-Id,valueonly)", "main"});
    std::vector<std::string> ids;
    for (std::size_t start = 0, end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
      if (end > start) ids.push_back(out.substr(start, end - start));
    }
    return ids;
  }

  bool logged(const std::string &text) const {
    return std::any_of(m_log.begin(), m_log.end(),
                       [&](const std::string &line) { return line.find(text) != std::string::npos; });
  }

  test::TempDir m_dir;
  std::filesystem::path m_remote;
  std::mutex m_log_mutex;
  std::vector<std::string> m_log;
};

} // namespace

TEST_F(PusherTest, FirstPushToAnEmptyBareRemotePublishesEveryCommit) {
  const RepoSettings a = settings("a");
  commit(a, kTaskA1, "a1");
  commit(a, kTaskA2, "a2");
  EXPECT_EQ(pending(a), 2u);

  const PushReport report = push(a);
  EXPECT_EQ(report.pushed, 2u);
  EXPECT_EQ(report.replayed, 0u);
  EXPECT_EQ(remote_tip(), head(a));
  EXPECT_EQ(pending(a), 0u);
  EXPECT_EQ(git_out(a.path, {"rev-parse", "refs/remotes/tasksync/main"}).substr(0, 40), head(a));
  EXPECT_TRUE(logged("pushed 2 commits to " + m_remote.string()));
  EXPECT_TRUE(test::repository_consistent(a.path));
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(PusherTest, NothingToPushPushesZero) {
  const RepoSettings a = settings("a");
  { ASSERT_TRUE(Mirror::open(a, Mirror::Access::read_write).ok()); }
  EXPECT_EQ(push(a).pushed, 0u); // an unborn branch
  EXPECT_EQ(remote_tip(), "");
  EXPECT_EQ(pending(a), 0u);

  commit(a, kTaskA1, "a1");
  EXPECT_EQ(push(a).pushed, 1u);
  const PushReport again = push(a);
  EXPECT_EQ(again.pushed, 0u);
  EXPECT_EQ(again.replayed, 0u);
  EXPECT_EQ(remote_tip(), head(a));
}

TEST_F(PusherTest, TwoMirrorsWithDisjointTasksEndWithEveryCommitOnTheRemote) {
  const RepoSettings a = settings("a");
  const RepoSettings b = settings("b");
  commit(a, kTaskA1, "a1");
  EXPECT_EQ(push(a).pushed, 1u);

  commit(b, kTaskB1, "b1");
  PushReport report = push(b);
  EXPECT_EQ(report.replayed, 1u);
  EXPECT_EQ(report.pushed, 1u);

  commit(a, kTaskA2, "a2");
  commit(a, kTaskA1, "a1 v2", "2");
  report = push(a);
  EXPECT_EQ(report.replayed, 2u);
  EXPECT_EQ(report.pushed, 2u);

  commit(b, kTaskB2, "b2");
  report = push(b);
  EXPECT_EQ(report.replayed, 1u);
  EXPECT_EQ(report.pushed, 1u);

  report = push(a); // a lacks b's last commit: it catches up without a commit of its own
  EXPECT_EQ(report.pushed, 0u);
  EXPECT_EQ(report.replayed, 0u);

  EXPECT_EQ(head(a), remote_tip());
  EXPECT_EQ(head(b), remote_tip());
  EXPECT_EQ(git_out(m_remote, {"rev-list", "--count", "main"}), "5\n");
  std::vector<std::string> ids = remote_task_ids();
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected = {kTaskA1, kTaskA1, kTaskA2, kTaskB1, kTaskB2};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  expect_linear();
  for (const RepoSettings &mirror : {a, b}) {
    EXPECT_TRUE(test::repository_consistent(mirror.path));
    EXPECT_EQ(pending(mirror), 0u);
    for (const std::string &task : {kTaskA1, kTaskA2, kTaskB1, kTaskB2}) {
      EXPECT_TRUE(std::filesystem::exists(mirror.path / "tasks" / task / "task.ts")) << mirror.path << " " << task;
    }
  }
  EXPECT_EQ(test::read_text(b.path / "tasks" / kTaskA1 / "task.ts"), "a1 v2");
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(PusherTest, AConflictOnTheSameTaskResolvesToTheReplayingMirrorsContent) {
  const RepoSettings a = settings("a");
  const RepoSettings b = settings("b");
  commit(a, kTaskA1, "from a");
  commit(a, kTaskA2, "only a");
  push(a);
  const std::string a_tip = remote_tip();

  commit(b, kTaskA1, "from b", "2");
  const PushReport report = push(b);
  EXPECT_EQ(report.replayed, 1u);
  EXPECT_EQ(report.pushed, 1u);
  EXPECT_EQ(git_out(m_remote, {"show", "main:tasks/" + kTaskA1 + "/task.ts"}), "from b");
  EXPECT_EQ(git_out(m_remote, {"show", "main:tasks/" + kTaskA2 + "/task.ts"}), "only a");
  EXPECT_EQ(git_out(m_remote, {"rev-parse", "main~1"}).substr(0, 40), a_tip);
  // The replayed commit keeps its author, date and message; only the committer date is new.
  EXPECT_EQ(git_out(m_remote, {"log", "-1", "--format=%an|%ad|%s", "--date=iso-strict", "main"}),
            "tasksync|2026-11-20T16:31:07+02:00|" + kTaskA1 + ": add version 2\n");
  EXPECT_EQ(git_out(m_remote, {"show", "--name-only", "--format=", "main"}),
            "tasks/" + kTaskA1 + "/task.json\ntasks/" + kTaskA1 + "/task.ts\n");
  EXPECT_EQ(test::read_text(b.path / "tasks" / kTaskA1 / "task.ts"), "from b");
  EXPECT_TRUE(test::repository_consistent(b.path));
  expect_linear();
}

TEST_F(PusherTest, AReplayedCommitThatChangesNothingIsDropped) {
  const RepoSettings a = settings("a");
  const RepoSettings b = settings("b");
  commit(a, kTaskA1, "same");
  push(a);
  commit(b, kTaskA1, "same");
  const PushReport report = push(b);
  EXPECT_EQ(report.replayed, 0u);
  EXPECT_EQ(report.pushed, 0u);
  EXPECT_EQ(head(b), remote_tip());
  EXPECT_EQ(git_out(m_remote, {"rev-list", "--count", "main"}), "1\n");
  EXPECT_TRUE(test::repository_consistent(b.path));
}

TEST_F(PusherTest, MirrorsPushingAtTheSameTimeLoseNothing) {
  const RepoSettings a = settings("a");
  const RepoSettings b = settings("b");
  const std::vector<std::string> a_tasks = {kTaskA1, kTaskA2, "11111111-2222-4333-8444-555555555555"};
  const std::vector<std::string> b_tasks = {kTaskB1, kTaskB2, "66666666-7777-4888-9999-aaaaaaaaaaaa"};
  for (std::size_t round = 0; round < a_tasks.size(); ++round) {
    commit(a, a_tasks[round], "a" + std::to_string(round));
    commit(b, b_tasks[round], "b" + std::to_string(round));
    std::optional<Result<PushReport>> from_a;
    std::optional<Result<PushReport>> from_b;
    std::thread pushing_a([&] { from_a.emplace(try_push(a)); });
    std::thread pushing_b([&] { from_b.emplace(try_push(b)); });
    pushing_a.join();
    pushing_b.join();
    EXPECT_TRUE(from_a->ok()) << from_a->error().message;
    EXPECT_TRUE(from_b->ok()) << from_b->error().message;
  }
  push(a);
  push(b);
  EXPECT_EQ(head(a), remote_tip());
  EXPECT_EQ(head(b), remote_tip());
  std::vector<std::string> ids = remote_task_ids();
  std::vector<std::string> expected = a_tasks;
  expected.insert(expected.end(), b_tasks.begin(), b_tasks.end());
  std::sort(ids.begin(), ids.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
  expect_linear();
  EXPECT_TRUE(test::repository_consistent(a.path));
  EXPECT_TRUE(test::repository_consistent(b.path));
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(PusherTest, ARemoteThatIsDownKeepsTheCommitsUntilItComesBack) {
  const std::filesystem::path later = m_dir / "later.git";
  const RepoSettings a = settings("a", later.string());
  commit(a, kTaskA1, "a1");
  commit(a, kTaskA2, "a2");
  const std::string tip = head(a);

  EXPECT_EQ(push_failure(a), "push to " + later.string() + " failed: " + later.string() + " does not exist");
  EXPECT_EQ(head(a), tip);
  EXPECT_EQ(pending(a), 2u);
  EXPECT_TRUE(test::repository_consistent(a.path));

  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", later.string()}).exit_code, 0);
  auto pushed = try_push(a);
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(pushed->pushed, 2u);
  EXPECT_EQ(pending(a), 0u);
  EXPECT_EQ(git_out(later, {"rev-parse", "main"}).substr(0, 40), tip);
}

TEST_F(PusherTest, CommitsMadeOnTheRemoteByHandAreKeptAndBuiltUpon) {
  const RepoSettings a = settings("a");
  commit(a, kTaskA1, "a1");
  push(a);
  const std::filesystem::path clone = m_dir / "clone";
  ASSERT_EQ(test::run_process({"git", "clone", "-q", m_remote.string(), clone.string()}).exit_code, 0);
  test::write_text(clone / "README.md", "Reviewed here.\n");
  ASSERT_EQ(test::git(clone.string(), {"add", "README.md"}).exit_code, 0);
  ASSERT_EQ(test::git(clone.string(), {"-c", "user.name=Person", "-c", "user.email=p@example.com", "commit", "-q", "-m",
                                       "Add a README"})
                .exit_code,
            0);
  ASSERT_EQ(test::git(clone.string(), {"push", "-q", "origin", "main"}).exit_code, 0);
  const std::string person = remote_tip();

  commit(a, kTaskA1, "a1 v2", "2");
  const PushReport report = push(a);
  EXPECT_EQ(report.replayed, 1u);
  EXPECT_EQ(git_out(m_remote, {"rev-parse", "main~1"}).substr(0, 40), person);
  EXPECT_EQ(test::read_text(a.path / "README.md"), "Reviewed here.\n");
  EXPECT_TRUE(test::repository_consistent(a.path));
}

TEST_F(PusherTest, AMirrorThatStaysOpenCommitsOnTopOfTheReplayedBranch) {
  const RepoSettings a = settings("a");
  const RepoSettings b = settings("b");
  commit(b, kTaskB1, "b1");
  push(b);

  auto mirror = Mirror::open(a, Mirror::Access::read_write);
  ASSERT_TRUE(mirror.ok()) << mirror.error().message;
  ASSERT_TRUE(mirror->apply(snapshot("a1"), info(kTaskA1, "1")).ok());
  ASSERT_TRUE(mirror->finish_pass().ok());
  EXPECT_EQ(push(a, &*mirror).replayed, 1u);

  ASSERT_TRUE(mirror->apply(snapshot("a2"), info(kTaskA2, "1")).ok());
  ASSERT_TRUE(mirror->finish_pass().ok());
  EXPECT_EQ(git_out(a.path, {"rev-list", "--count", "HEAD"}), "3\n");
  EXPECT_EQ(git_out(a.path, {"rev-parse", "HEAD~1"}).substr(0, 40), remote_tip());
  EXPECT_TRUE(test::repository_consistent(a.path));
  EXPECT_EQ(push(a, &*mirror).pushed, 1u);
  expect_linear();
}

TEST_F(PusherTest, AReplayWithAnotherBranchCheckedOutMovesOnlyTheBranch) {
  const RepoSettings a = settings("a");
  const RepoSettings b = settings("b");
  commit(b, kTaskB1, "b1");
  push(b);
  commit(a, kTaskA1, "a1");
  ASSERT_EQ(test::git(a.path.string(), {"checkout", "-q", "-b", "review"}).exit_code, 0);

  EXPECT_EQ(push(a).replayed, 1u);
  EXPECT_EQ(git_out(a.path, {"rev-parse", "main"}).substr(0, 40), remote_tip());
  EXPECT_EQ(git_out(a.path, {"symbolic-ref", "HEAD"}), "refs/heads/review\n");
  // The work tree and index still hold the review branch: b's task did not arrive there.
  EXPECT_FALSE(std::filesystem::exists(a.path / "tasks" / kTaskB1));
  EXPECT_TRUE(test::repository_consistent(a.path));
  EXPECT_EQ(pending(a), 0u);
}

TEST_F(PusherTest, PushesToTheConfiguredRemoteBranch) {
  RepoSettings a = settings("a");
  a.push->branch = "mirrors/host-a";
  commit(a, kTaskA1, "a1");
  auto report = try_push(a);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->pushed, 1u);
  EXPECT_EQ(git_out(m_remote, {"rev-parse", "mirrors/host-a"}).substr(0, 40), head(a));
  EXPECT_EQ(pending(a), 0u);
}

TEST_F(PusherTest, ANonBareRemoteWithTheBranchCheckedOutIsRefused) {
  const std::filesystem::path work = m_dir / "work";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "-b", "main", work.string()}).exit_code, 0);
  const RepoSettings a = settings("a", work.string());
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_NE(message.find("git init --bare"), std::string::npos) << message;
  EXPECT_EQ(pending(a), 1u);
}

TEST_F(PusherTest, CredentialsInTheUrlAndTheTokenStayOutOfMessagesAndLogs) {
  const std::string url = "https://someone:url-secret@127.0.0.1:" + std::to_string(test::free_port()) + "/mirror.git";
  RepoSettings a = settings("a", url);
  a.push->token_file = token_file("token-secret");
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_EQ(message.rfind("push to https://127.0.0.1:", 0), 0u) << message;
  EXPECT_EQ(message.find("url-secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("token-secret"), std::string::npos) << message;
  expect_no_secret_logged();

  a.push->token_file = m_dir / "missing-token";
  const std::string missing = push_failure(a);
  EXPECT_NE(missing.find("cannot read repo.push.token_file " + (m_dir / "missing-token").string()), std::string::npos)
      << missing;
  EXPECT_EQ(pending(a), 1u);
}

TEST_F(PusherTest, AnUpperCaseSchemeIsTheSameRemoteWithTheSameCredentialRules) {
  const std::string port = std::to_string(test::free_port());
  RepoSettings a = settings("a", "HTTPS://someone:url-secret@127.0.0.1:" + port + "/mirror.git");
  a.push->token_file = token_file("token-secret");
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  // Shown as https with the user info dropped, exactly as for a lower-case https:// remote.
  EXPECT_EQ(message.rfind("push to https://127.0.0.1:" + port + "/mirror.git failed: ", 0), 0u) << message;
  EXPECT_EQ(message.find("url-secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("someone"), std::string::npos) << message;
  expect_no_secret_logged();

  // Without a token file an https remote in any case asks for one rather than trying without.
  a.push->token_file = m_dir / "missing-token";
  const std::string missing = push_failure(a);
  EXPECT_NE(missing.find("cannot read repo.push.token_file"), std::string::npos) << missing;
  EXPECT_EQ(pending(a), 1u);
}

TEST_F(PusherTest, PushesAndReplaysOverSmartHttpWithTheToken) {
  GitHttpServer server(m_dir.path(), "the-token");
  RepoSettings a = settings("a", server.url("remote.git"));
  RepoSettings b = settings("b", server.url("remote.git"));
  a.push->token_file = b.push->token_file = token_file("the-token");

  commit(a, kTaskA1, "a1");
  EXPECT_EQ(push(a).pushed, 1u);
  commit(b, kTaskB1, "b1");
  const PushReport report = push(b);
  EXPECT_EQ(report.replayed, 1u);
  EXPECT_EQ(report.pushed, 1u);
  EXPECT_EQ(remote_tip(), head(b));
  EXPECT_EQ(git_out(m_remote, {"rev-list", "--count", "main"}), "2\n");
  EXPECT_EQ(pending(b), 0u);
  const PushReport again = push(b);
  EXPECT_EQ(again.pushed, 0u);
  EXPECT_EQ(again.replayed, 0u);
  EXPECT_TRUE(test::repository_consistent(b.path));
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(PusherTest, AWrongOrMissingTokenFailsOnceWithoutLooping) {
  GitHttpServer server(m_dir.path(), "the-token");
  const std::filesystem::path token = token_file("wrong-token");
  RepoSettings a = settings("a", server.url("remote.git"));
  commit(a, kTaskA1, "a1");

  EXPECT_EQ(push_failure(a), "push to " + server.url("remote.git") +
                                 " failed: the remote asks for credentials; set repo.push.token_file (or, under the "
                                 "unit, put the token at /etc/tasksync/push-token)");

  a.push->token_file = token;
  const int before = server.unauthorized();
  EXPECT_EQ(push_failure(a), "push to " + server.url("remote.git") +
                                 " failed: the remote rejected the token in repo.push.token_file " + token.string() +
                                 " (user x-access-token)");
  EXPECT_LE(server.unauthorized() - before, 2);
  EXPECT_EQ(pending(a), 1u);
  EXPECT_EQ(remote_tip(), "");

  token_file("the-token"); // re-read on each push
  EXPECT_EQ(push(a).pushed, 1u);
}

TEST_F(PusherTest, TheTokenGoesWithTheConfiguredUserName) {
  GitHttpServer server(m_dir.path(), "deploy-token", "gitlab+deploy-token-7");
  RepoSettings a = settings("a", server.url("remote.git"));
  a.push->token_file = token_file("deploy-token");
  commit(a, kTaskA1, "a1");
  // As x-access-token the server says no.
  EXPECT_NE(push_failure(a).find("the remote rejected the token"), std::string::npos);
  a.push->token_user = "gitlab+deploy-token-7";
  EXPECT_EQ(push(a).pushed, 1u);
  EXPECT_EQ(remote_tip(), head(a));
}

TEST_F(PusherTest, AnHttpsRemoteWithAPrivateCaIsTrustedThroughCaFileOnly) {
  const test::TestPki pki = test::make_test_pki(m_dir / "pki");
  GitHttpServer server(m_dir.path(), "the-token", "x-access-token", pki.server);
  RepoSettings a = settings("a", server.url("remote.git"));
  a.push->token_file = token_file("the-token");
  commit(a, kTaskA1, "a1");

  // The system's store does not know the test CA.
  const std::string untrusted = push_failure(a);
  EXPECT_NE(untrusted.find("certificate"), std::string::npos) << untrusted;
  EXPECT_EQ(remote_tip(), "");

  // Another CA in ca_file does not help.
  const test::TestPki other = test::make_test_pki(m_dir / "other-pki");
  a.push->ca_file = other.ca_file;
  const std::string wrong = push_failure(a);
  EXPECT_NE(wrong.find("the TLS certificate of 127.0.0.1 is trusted neither by the system's CA store nor by "
                       "repo.push.ca_file " +
                       other.ca_file.string()),
            std::string::npos)
      << wrong;
  EXPECT_EQ(remote_tip(), "");

  a.push->ca_file = pki.ca_file;
  EXPECT_EQ(push(a).pushed, 1u);
  EXPECT_EQ(remote_tip(), head(a));
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(PusherTest, TheCaFileDoesNotVouchForAnotherName) {
  // The server's certificate names localhost only, and the remote says 127.0.0.1.
  const test::TestPki pki = test::make_test_pki(m_dir / "pki", {"localhost"});
  GitHttpServer server(m_dir.path(), "the-token", "x-access-token", pki.server);
  RepoSettings a = settings("a", server.url("remote.git"));
  a.push->token_file = token_file("the-token");
  a.push->ca_file = pki.ca_file;
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_NE(message.find("the TLS certificate of 127.0.0.1 is trusted neither by the system's CA store nor by "
                         "repo.push.ca_file " +
                         pki.ca_file.string() + ": "),
            std::string::npos)
      << message;
  EXPECT_EQ(remote_tip(), "");
}

TEST_F(PusherTest, AnRsaDeployKeyIsRefusedBeforeConnecting) {
  const auto key = m_dir / "rsa-key";
  ASSERT_EQ(test::run_process({"ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", key.string()}).exit_code,
            0);
  // Nothing listens there: a message about the key proves no connection was tried first.
  RepoSettings a = settings("a", "ssh://git@127.0.0.1:" + std::to_string(test::free_port()) + "/remote.git");
  a.push->ssh_key_file = key;
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_NE(message.find("repo.push.ssh_key_file " + key.string() + " is an RSA key, which cannot work"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("use an ed25519 key"), std::string::npos) << message;

  a.push->ssh_key_file = m_dir / "missing-key";
  EXPECT_NE(push_failure(a).find("cannot read repo.push.ssh_key_file " + (m_dir / "missing-key").string() +
                                 ": No such file or directory"),
            std::string::npos);
  EXPECT_EQ(pending(a), 1u);
}

TEST_F(PusherTest, ARemoteThatNeverAnswersFailsAtTheBoundAndKeepsTheCommits) {
  test::SilentListener http;
  test::SilentListener ssh;
  for (const std::string &remote : {"http://127.0.0.1:" + std::to_string(http.port()) + "/remote.git",
                                    "ssh://git@127.0.0.1:" + std::to_string(ssh.port()) + "/remote.git"}) {
    // Over ssh libssh2 reads the socket itself: only the bound's shutdown of it ends the wait.
    RepoSettings a = settings("a", remote);
    a.push->timeout = std::chrono::seconds(1);
    a.push->known_hosts_file = m_dir / "known_hosts";
    test::write_text(m_dir / "known_hosts", "");
    commit(a, kTaskA1, "a1");
    EXPECT_EQ(push_failure(a), "push to " + remote + " failed: no answer within 1 s (repo.push.timeout_seconds)");
    EXPECT_EQ(pending(a), 1u);
  }
  EXPECT_TRUE(http.connected_to());
  EXPECT_TRUE(ssh.connected_to());
}

TEST_F(PusherTest, TheTokenNeverCrossesPlainHttpToAHostThatIsNotLoopback) {
  GitHttpServer server(m_dir.path(), "the-token");
  // 127.1 reaches the server on 127.0.0.1, but is a name: not judged loopback, as in the config.
  std::string url = server.url("remote.git");
  url.replace(url.find("127.0.0.1"), 9, "127.1");
  RepoSettings a = settings("a", url);
  a.push->token_file = token_file("the-token");
  a.push->allow_insecure_http = true;
  commit(a, kTaskA1, "a1");
  EXPECT_EQ(push_failure(a), "push to " + url +
                                 " failed: the remote asks for credentials over plain http, and 127.1 is not a "
                                 "loopback address: tasksync sends the token only over https or to loopback "
                                 "(repo.push.allow_insecure_http does not change that)");
  EXPECT_GE(server.unauthorized(), 1);
  EXPECT_EQ(remote_tip(), "");
  EXPECT_EQ(pending(a), 1u);
}

// Pushes over ssh to a real sshd on loopback (skipped, saying why, where sshd cannot start).
class SshPushTest : public PusherTest {
protected:
  SshPushTest() { test::make_ssh_key(m_dir / "deploy-key", "ed25519"); }

  RepoSettings ssh_settings(const test::SshServer &server) {
    RepoSettings a = settings("a", server.url(m_remote));
    a.push->ssh_key_file = m_dir / "deploy-key";
    test::write_text(m_dir / "known_hosts", server.known_hosts_line());
    a.push->known_hosts_file = m_dir / "known_hosts";
    return a;
  }
};

TEST_F(SshPushTest, PushesWithAnEd25519KeyAndTheHostInKnownHostsFile) {
  test::SshServer server(m_dir / "deploy-key.pub");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  RepoSettings a = ssh_settings(server);
  commit(a, kTaskA1, "a1");
  EXPECT_EQ(push(a).pushed, 1u);
  EXPECT_EQ(remote_tip(), head(a));
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(SshPushTest, AHostMissingFromKnownHostsIsRefused) {
  test::SshServer server(m_dir / "deploy-key.pub");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  RepoSettings a = ssh_settings(server);
  test::write_text(*a.push->known_hosts_file, "");
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_NE(message.find("is not in known_hosts (" + a.push->known_hosts_file->string() + ", /etc/ssh/ssh_known_hosts"),
            std::string::npos)
      << message;
  EXPECT_EQ(remote_tip(), "");
}

TEST_F(SshPushTest, AKnownHostsFileThatWentAwayIsNamedWithTheReason) {
  test::SshServer server(m_dir / "deploy-key.pub");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  RepoSettings a = ssh_settings(server);
  std::filesystem::remove(*a.push->known_hosts_file);
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_NE(message.find("; cannot read repo.push.known_hosts_file " + a.push->known_hosts_file->string() +
                         ": No such file or directory"),
            std::string::npos)
      << message;
}

TEST_F(SshPushTest, AnRsaOnlyHostKeyFailsSayingWhy) {
  test::SshServer server(m_dir / "deploy-key.pub", "rsa");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  RepoSettings a = ssh_settings(server);
  commit(a, kTaskA1, "a1");
  const std::string message = push_failure(a);
  EXPECT_NE(message.find("Unable to exchange encryption keys"), std::string::npos) << message;
  EXPECT_NE(message.find("a server whose only host key is RSA cannot be reached; give it an ed25519 or ECDSA host key"),
            std::string::npos)
      << message;
}
