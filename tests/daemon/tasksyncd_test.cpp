// Integration tests: the real tasksyncd binary against the in-process fake API.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-integration-secret-0123456789";
const std::string kExampleTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kOtherTask = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

class TasksyncdTest : public test::DaemonFixture {
protected:
  TasksyncdTest() : DaemonFixture(kKey) {
    write_config("tasks:\n  - " + kExampleTask + "\n  - id: " + kOtherTask + "\n    name: checkout-flow\n");
    serve(kExampleTask, "6");
    serve(kOtherTask, "1");
  }

  void write_config(const std::string &tasks_yaml) { DaemonFixture::write_config({.rest = tasks_yaml}); }
};

} // namespace

TEST_F(TasksyncdTest, OnceMirrorsEveryTaskAndASecondRunCommitsNothing) {
  auto first = once();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s"}),
            kExampleTask + ": add version 6\ncheckout-flow: add version 1\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
  const auto file = m_repo / "tasks" / kExampleTask / "task.ts";
  const auto mtime = std::filesystem::last_write_time(file);

  auto second = once();
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "2\n");
  EXPECT_EQ(std::filesystem::last_write_time(file), mtime);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(TasksyncdTest, ReproducesTheWorkedExampleExactly) {
  ASSERT_EQ(once().exit_code, 0);
  m_api.set_reply(kExampleTask, {200, test::read_text(TASKSYNC_TEST_DATA "/example/response.json"), {}});
  auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const auto dir = m_repo / "tasks" / kExampleTask;
  EXPECT_EQ(test::read_text(dir / "task.ts"), test::read_text(TASKSYNC_TEST_DATA "/example/task.ts"));
  EXPECT_EQ(test::read_text(dir / "task.json"), test::read_text(TASKSYNC_TEST_DATA "/example/task.json"));
  const std::string commit = git_out({"cat-file", "commit", "HEAD"});
  EXPECT_EQ(commit.substr(commit.find("\n\n") + 2), test::read_text(TASKSYNC_TEST_DATA "/example/commit-message.txt"));
  EXPECT_EQ(git_out({"log", "-1", "--format=%aI %an <%ae>"}),
            "2026-11-20T14:31:07+00:00 tasksync <tasksync@localhost>\n");
  EXPECT_EQ(git_out({"log", "-p"}).find("s3cr3t"), std::string::npos) << "the proxy password reached git";
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

// Python is one of the languages the API documents (tools.md's enum): its code goes to task.py, not
// to task.txt with an "unknown language" warning, and the list hint (which compares the code
// file's name) agrees, so a second run costs no request for it.
TEST_F(TasksyncdTest, PythonCodeIsWrittenToTaskPy) {
  test::FakeVersion python = test::task_version(kExampleTask, "6");
  python.language = "python";
  python.code = "print('hi')\n";
  m_api.set_version(python);
  auto first = once();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err.find("unknown language"), std::string::npos) << first.err;
  const auto dir = m_repo / "tasks" / kExampleTask;
  EXPECT_EQ(test::read_text(dir / "task.py"), "print('hi')\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "task.txt"));
  EXPECT_EQ(git_out({"ls-tree", "--name-only", "HEAD", "tasks/" + kExampleTask + "/"}),
            "tasks/" + kExampleTask + "/task.json\ntasks/" + kExampleTask + "/task.py\n");
  const int fetched = m_api.requests(kExampleTask);
  auto second = once();
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "2\n");
  EXPECT_EQ(m_api.requests(kExampleTask), fetched);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

// An older release mirrored python code as task.txt: the next pass moves it to task.py in one
// commit, and nothing is left at the old name.
TEST_F(TasksyncdTest, PythonCodeMirroredAsTaskTxtMovesToTaskPy) {
  test::FakeVersion python = test::task_version(kExampleTask, "6");
  python.language = "python";
  python.code = "print('hi')\n";
  m_api.set_version(python);
  ASSERT_EQ(once().exit_code, 0);
  const std::string dir = "tasks/" + kExampleTask + "/";
  ASSERT_EQ(test::git(m_repo.string(), {"mv", dir + "task.py", dir + "task.txt"}).exit_code, 0);
  ASSERT_EQ(test::git(m_repo.string(), {"-c", "user.name=Old", "-c", "user.email=old@example.com", "commit", "-q", "-m",
                                        "as an older release mirrored it"})
                .exit_code,
            0);
  auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(git_out({"ls-tree", "--name-only", "HEAD", dir}), dir + "task.json\n" + dir + "task.py\n");
  EXPECT_EQ(git_out({"diff", "--name-status", "-M", "HEAD~", "HEAD"}),
            "R100\t" + dir + "task.txt\t" + dir + "task.py\n");
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), kExampleTask + ": update to version 6\n");
  EXPECT_FALSE(std::filesystem::exists(m_repo / dir / "task.txt"));
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

// The vendor's write schemas accept base64 without its '=' padding, so /latest may serve code that
// way: it is decoded (both a missing "=" and a missing "=="), not failed on every pass.
TEST_F(TasksyncdTest, CodeServedAsUnpaddedBase64IsCommittedWithTheRightBytes) {
  using namespace std::string_literals;
  const std::map<std::string, std::string> codes{{kExampleTask, "print(1)\n\xff"s},             // 10 bytes: "=="
                                                 {kOtherTask, "export default 2;\n\x00\x01"s}}; // 20 bytes: "="
  std::set<std::size_t> padding;
  for (const auto &[id, code] : codes) {
    test::FakeVersion version = test::task_version(id, "3");
    version.code = code;
    const std::string padded = test::encode_base64(code);
    const std::string unpadded = padded.substr(0, padded.find('='));
    padding.insert(padded.size() - unpadded.size());
    std::string body = version.to_json();
    body.replace(body.find(padded), padded.size(), unpadded);
    m_api.set_reply(id, {200, body, {}});
  }
  ASSERT_EQ(padding, (std::set<std::size_t>{1, 2}));
  auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err.find("base64"), std::string::npos) << result.err;
  for (const auto &[id, code] : codes) {
    EXPECT_EQ(git_out({"show", "HEAD:tasks/" + id + "/task.ts"}), code) << id;
    EXPECT_EQ(test::read_text(m_repo / "tasks" / id / "task.ts"), code) << id;
  }
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s"}),
            kExampleTask + ": add version 3\ncheckout-flow: add version 3\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(TasksyncdTest, AFailingTaskExitsOneAndTheOthersAreCommitted) {
  m_api.set_reply(kExampleTask, {500, R"({"error":{"code":500,"message":"Failed to retrieve task version"}})", {}});
  auto result = once();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("task " + kExampleTask + ": HTTP 500: Failed to retrieve task version"), std::string::npos)
      << result.err;
  EXPECT_EQ(git_out({"log", "--format=%s"}), "checkout-flow: add version 1\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(TasksyncdTest, ConfigErrorsExitTwoBeforeAnyNetworkOrDiskWork) {
  write_config("tasks:\n  - ../../etc\n");
  auto result = once();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(m_config.string() + ":7: tasks[0]: \"../../etc\" is not a task ID"), std::string::npos)
      << result.err;
  EXPECT_FALSE(std::filesystem::exists(m_repo));

  auto missing = run({"--config", (m_dir / "nope.yaml").string(), "--once"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.yaml: cannot read the config file"), std::string::npos);
}

TEST_F(TasksyncdTest, BadCommandLineExitsTwo) {
  EXPECT_EQ(run({"--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(run({"--once", "--dry-run", "--config", m_config.string()}).exit_code, 2);
  auto help = run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--check-config"), std::string::npos);
  auto version = run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("tasksyncd ", 0), 0u);
}

TEST_F(TasksyncdTest, MissingKeyExitsThreeAndSaysWhereItLooked) {
  auto result = run({"--config", m_config.string(), "--once"}, {{"ANCHORBROWSER_API_KEY", std::nullopt}});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("no API key"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("ANCHORBROWSER_API_KEY"), std::string::npos);
  EXPECT_EQ(m_api.requests(kExampleTask), 0);
}

TEST_F(TasksyncdTest, KeyFileAndCredentialsAreUsed) {
  test::write_text(m_dir / "creds/anchor-api-key", kKey + "\n");
  auto result = run({"--config", m_config.string(), "--once"},
                    {{"ANCHORBROWSER_API_KEY", std::nullopt}, {"CREDENTIALS_DIRECTORY", (m_dir / "creds").string()}});
  // The test environment unsets CREDENTIALS_DIRECTORY only when the caller did not set it.
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(TasksyncdTest, RejectedKeyExitsThree) {
  auto result = run({"--config", m_config.string(), "--once"}, {{"ANCHORBROWSER_API_KEY", "wrong-key"}});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("API key rejected (HTTP 401: Invalid API key)"), std::string::npos) << result.err;
}

TEST_F(TasksyncdTest, UnusableRepositoryExitsThree) {
  test::write_text(m_repo / "somebody-elses-file", "x");
  auto result = once();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("neither a git repository nor an empty directory"), std::string::npos) << result.err;
}

TEST_F(TasksyncdTest, CheckConfigSummarisesWithoutTouchingAnything) {
  auto result = run({"--config", m_config.string(), "--check-config"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("tasks: 2"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(kOtherTask + "  checkout-flow"), std::string::npos);
  EXPECT_NE(result.out.find("api key: from environment variable ANCHORBROWSER_API_KEY"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(m_repo));
  EXPECT_EQ(m_api.requests(kExampleTask), 0);
}

TEST_F(TasksyncdTest, DryRunReportsChangesAndWritesNothing) {
  auto result = run({"--config", m_config.string(), "--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("added     " + kExampleTask + " version 6\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("added     " + kOtherTask + " (checkout-flow) version 1\n"), std::string::npos);
  EXPECT_NE(result.out.find("+++ b/tasks/" + kExampleTask + "/task.ts\n"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("\033["), std::string::npos) << "no colour when stdout is not a terminal";
  EXPECT_FALSE(std::filesystem::exists(m_repo));

  ASSERT_EQ(once().exit_code, 0);
  serve(kOtherTask, "2");
  result = run({"--config", m_config.string(), "--dry-run"});
  const std::string other = "tasks/" + kOtherTask + "/";
  EXPECT_EQ(result.out.rfind("unchanged " + kExampleTask + " version 6\nupdated   " + kOtherTask +
                                 " (checkout-flow) version 2\ndiff --git a/" + other + "task.json b/" + other +
                                 "task.json\n",
                             0),
            0u)
      << result.out;
  EXPECT_NE(result.out.find("--- a/" + other + "task.ts\n+++ b/" + other + "task.ts\n@@ -1 +1 @@\n-// " + kOtherTask +
                            " version 1\n+// " + kOtherTask + " version 2\n"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "2\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(TasksyncdTest, BackfillImportsEveryPublishedVersionInOrderOnce) {
  m_api.unlist(kExampleTask); // forget the fixture's version 6
  // Versions 1..3 of the first task, one of them a draft; listed out of order on purpose.
  const std::vector<std::tuple<std::string, std::string, std::string>> history = {
      {"2", "2026-10-02T00:00:00Z", "2026-10-02T10:00:00Z"},
      {"1", "2026-10-01T00:00:00Z", "2026-10-01T10:00:00Z"},
      {"draft", "2026-10-03T00:00:00Z", "2026-10-03T10:00:00Z"},
      {"3", "2026-10-04T00:00:00Z", "2026-10-04T10:00:00Z"}};
  for (const auto &[number, created, updated] : history) {
    test::FakeVersion version;
    version.task_id = kExampleTask;
    version.version = number;
    version.code = "// v" + number + "\n";
    version.created_at = created;
    version.updated_at = updated;
    m_api.add_version(version);
  }
  test::FakeVersion latest;
  latest.task_id = kExampleTask;
  latest.version = "3";
  latest.code = "// v3\n";
  latest.created_at = "2026-10-04T00:00:00Z";
  latest.updated_at = "2026-10-04T10:00:00Z";
  m_api.set_version(latest);

  auto result = run({"--config", m_config.string(), "--backfill"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(git_out({"log", "--reverse", "--format=%s|%aI", "--", "tasks/" + kExampleTask}),
            kExampleTask + ": add version 1|2026-10-01T10:00:00+00:00\n" + kExampleTask +
                ": update to version 2|2026-10-02T10:00:00+00:00\n" + kExampleTask +
                ": update to version 3|2026-10-04T10:00:00+00:00\n");
  EXPECT_EQ(test::read_text(m_repo / "tasks" / kExampleTask / "task.ts"), "// v3\n");
  const std::string head = git_out({"rev-parse", "HEAD"});

  auto again = run({"--config", m_config.string(), "--backfill"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(git_out({"rev-parse", "HEAD"}), head) << "a second backfill adds nothing";
  EXPECT_TRUE(test::repository_consistent(m_repo));
}
