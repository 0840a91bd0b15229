// Attacks on the real tasksyncd binary (issue 10): secrets that must reach neither the repository,
// the log, --dry-run, a hook's environment nor /metrics, and bytes from the API or a task's code
// that must not drive the operator's terminal.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-secrets-key-5b1e";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kFailing = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kOtherLanguage = "0b8f1e2d-3c4a-4b5c-8d6e-7f8091a2b3c4";
const std::string kEnvSecret = "env-secret-marker-77";

// One marker per credential variant, all distinct, so a leak names the variant that leaked.
std::string marker(int number) { return "leak-marker-" + std::to_string(100 + number); }
constexpr int kMarkers = 26;
constexpr long kNumericSecret = 73571357; // an apiKey that is a number

// A browserConfiguration with every credential spelling the issue lists, at several depths.
std::string hostile_configuration() {
  std::string json = "{";
  const std::vector<std::string> keys{"Password",    "PASSWORD",    "proxy_password", "token",         "apiKey",
                                      "secret",      "passwd",      "api_key",        "api-key",       "access_key",
                                      "private_key", "credentials", "credential",     "authorization", "cookie",
                                      "x-api-key",   "accessToken", "client_secret",  "Set-Cookie"};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    json += "\"" + keys[i] + "\": \"" + marker(static_cast<int>(i)) + "\", ";
  }
  json += R"("proxy": {"type": "custom", "server": "http://user:)" + marker(19) +
          R"(@proxy.example:8080", "username": "user", "password": ")" + marker(20) + R"("}, )";
  json += R"("nested": [{"deep": {"Password": ")" + marker(21) + R"("}}, [{"token": {"n": ")" + marker(22) +
          R"("}}, {"apiKey": )" + std::to_string(kNumericSecret) + R"(}]], )";
  json += R"("upstream": "HTTPS://)" + marker(24) + R"(@host.example/path", )";
  json += R"("extensions": ["socks5://me:)" + marker(25) + R"(@socks.example:1080"], )";
  json += R"("initial_url": "https://example.com/start"})";
  return json;
}

class HostileSecretsTest : public test::DaemonFixture {
protected:
  HostileSecretsTest() : DaemonFixture(kKey) {}

  test::TasksyncdRun run(const std::string &mode) {
    auto result = run_mode(mode, environment());
    m_logs += result.err;
    return result;
  }

  test::EnvChanges environment() const {
    return {{"CREDENTIALS_DIRECTORY", (m_dir / "credentials").string()},
            {"AWS_SECRET_ACCESS_KEY", kEnvSecret},
            {"HOOK_PASSED", "passed-through"}};
  }

  void write_config(const std::vector<std::string> &tasks, const std::string &extra = "") {
    DaemonFixture::write_config({.api = "  retries: 0\n",
                                 .top = "poll:\n  interval_seconds: 1\n",
                                 .repo_keys = extra,
                                 .rest = test::tasks_yaml(tasks)});
  }

  // Every byte of the work tree outside .git, and every commit's patch.
  std::string repository_text() {
    std::string text = git({"log", "-p", "--all", "--format=%H%n%B"}).out;
    for (const auto &entry : std::filesystem::recursive_directory_iterator(m_repo)) {
      if (entry.path().string().find("/.git") != std::string::npos || !entry.is_regular_file()) continue;
      text += test::read_text(entry.path());
    }
    return text;
  }

  void expect_no_secret_in(const std::string &where, const std::string &text) {
    for (int i = 0; i < kMarkers; ++i) {
      EXPECT_EQ(text.find(marker(i)), std::string::npos) << marker(i) << " leaked into " << where << ":\n" << text;
    }
    EXPECT_EQ(text.find(std::to_string(kNumericSecret)), std::string::npos) << "a numeric apiKey leaked into " << where;
    EXPECT_EQ(text.find(kKey), std::string::npos) << "the API key leaked into " << where << ":\n" << text;
    EXPECT_EQ(text.find(kEnvSecret), std::string::npos) << "the daemon's environment leaked into " << where;
  }

  std::string m_logs;
};

// True when `text` holds a raw ESC or BEL byte.
bool has_raw_terminal_control(const std::string &text) { return text.find_first_of("\x1b\x07") != std::string::npos; }

} // namespace

TEST_F(HostileSecretsTest, NoCredentialReachesTheRepositoryLogDryRunHookOrMetrics) {
  test::FakeVersion version;
  version.task_id = kTask;
  version.browser_configuration = hostile_configuration();
  m_api.set_version(version);

  // A hook that shows its whole environment, keeps a copy, and prints the key it somehow learnt.
  const std::filesystem::path env_file = m_dir / "hook-env.txt";
  const std::filesystem::path hook = m_dir / "hook.sh";
  test::write_text(hook, "env >> '" + env_file.string() + "'\nenv\necho \"the key is " + kKey + "\"\n");
  const int port = test::free_port();
  write_config({kTask}, "hooks:\n  on_change: [/bin/sh, " + hook.string() +
                            "]\n  pass_env: [HOOK_PASSED]\nhttp:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n");

  const test::TasksyncdRun dry = run("--dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_FALSE(std::filesystem::exists(m_repo));
  expect_no_secret_in("--dry-run output", dry.out);
  EXPECT_NE(dry.out.find(R"(+    "Password": "<redacted>",)"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find(R"("server": "http://user:<redacted>@proxy.example:8080")"), std::string::npos) << dry.out;

  const test::TasksyncdRun once = run("--once");
  EXPECT_EQ(once.exit_code, 0) << once.err;

  // The daemon, with the status server, commits version 2 and runs the hook again.
  version.version = "2";
  m_api.set_version(version);
  const auto daemon = start({}, environment());
  ASSERT_TRUE(wait_for_commits(2, 20s)) << daemon->err();
  httplib::Client client("127.0.0.1", port);
  std::string metrics;
  ASSERT_TRUE(test::wait_until(
      [&] {
        const httplib::Result answer = client.Get("/metrics");
        if (answer && answer->status == 200) metrics = answer->body;
        return metrics.find("tasksync_commits_total") != std::string::npos;
      },
      10s))
      << daemon->err();
  ASSERT_TRUE(test::wait_until([&] { return daemon->err().find("the key is") != std::string::npos; }, 10s))
      << daemon->err();
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  m_logs += daemon->err();

  const std::string repository = repository_text();
  expect_no_secret_in("the repository", repository);
  expect_no_secret_in("the log", m_logs);
  expect_no_secret_in("/metrics", metrics);
  const std::string hook_env = test::read_text(env_file);
  expect_no_secret_in("the hook's environment", hook_env);
  for (const std::string name : {"ANCHORBROWSER_API_KEY=", "CREDENTIALS_DIRECTORY=", "AWS_SECRET_ACCESS_KEY="}) {
    EXPECT_EQ(hook_env.find(name), std::string::npos) << name << " in the hook's environment:\n" << hook_env;
  }
  EXPECT_NE(hook_env.find("HOOK_PASSED=passed-through\n"), std::string::npos) << hook_env;
  EXPECT_NE(hook_env.find("TASKSYNC_TASK_ID=" + kTask + "\n"), std::string::npos) << hook_env;

  const std::string sidecar = test::read_text(m_repo / "tasks" / kTask / "task.json");
  for (const std::string redacted :
       {R"("Password": "<redacted>")", R"("PASSWORD": "<redacted>")", R"("proxy_password": "<redacted>")",
        R"("token": "<redacted>")", R"("apiKey": "<redacted>")", R"("secret": "<redacted>")",
        R"("Set-Cookie": "<redacted>")", R"("server": "http://user:<redacted>@proxy.example:8080")",
        R"("upstream": "HTTPS://<redacted>@host.example/path")", R"("socks5://me:<redacted>@socks.example:1080")",
        R"("initial_url": "https://example.com/start")"}) {
    EXPECT_NE(sidecar.find(redacted), std::string::npos) << redacted << "\n" << sidecar;
  }
  EXPECT_NE(m_logs.find("the key is <redacted>"), std::string::npos) << m_logs;
}

TEST_F(HostileSecretsTest, TerminalEscapesAreShownEscapedAndKeptInTheRepository) {
  const std::string hostile = "\x1b]0;pwned\x07\x1b[2J";
  test::FakeVersion version;
  version.task_id = kTask;
  version.code = "// " + hostile + " retitled and cleared\nexport default async function run() {}\n";
  version.description = "described " + hostile;
  m_api.set_version(version);
  m_api.set_name(kTask, "named " + hostile);
  // An unknown language is named in a warning line.
  test::FakeVersion other;
  other.task_id = kOtherLanguage;
  other.language = "ts" + hostile;
  m_api.set_version(other);
  // An error message from the API reaches the log line and the dry run's "failed" line.
  m_api.set_reply(kFailing, {400, R"({"error":{"code":400,"message":"bad \u001b]0;pwned\u0007\u001b[2J"}})", {}});
  write_config({kTask, kOtherLanguage, kFailing});
  const std::string shown = "\\x1b]0;pwned\\x07\\x1b[2J";

  const test::TasksyncdRun dry = run("--dry-run");
  EXPECT_EQ(dry.exit_code, 1) << dry.err;
  EXPECT_FALSE(has_raw_terminal_control(dry.out)) << dry.out;
  EXPECT_FALSE(has_raw_terminal_control(dry.err)) << dry.err;
  EXPECT_NE(dry.out.find("+// " + shown + " retitled and cleared\n"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("failed    " + kFailing + ": HTTP 400: bad "), std::string::npos) << dry.out;
  EXPECT_NE(dry.err.find("unknown language \"ts" + shown + "\""), std::string::npos) << dry.err;

  const test::TasksyncdRun once = run("--once");
  EXPECT_EQ(once.exit_code, 1) << once.err;
  EXPECT_FALSE(has_raw_terminal_control(once.err)) << once.err;
  EXPECT_NE(once.err.find("unknown language \"ts" + shown + "\""), std::string::npos) << once.err;
  EXPECT_NE(once.err.find(kFailing + ": HTTP 400: bad "), std::string::npos) << once.err;

  // The repository holds the bytes themselves.
  EXPECT_EQ(git({"cat-file", "blob", "HEAD:tasks/" + kTask + "/task.ts"}).out, version.code);
  EXPECT_NE(git({"cat-file", "blob", "HEAD:tasks/" + kTask + "/task.json"})
                .out.find(R"("description": "described \u001B]0;pwned\u0007\u001B[2J")"),
            std::string::npos);
}
