#include "publish/hook_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

extern char **environ;

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string task_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string prefix = "<6>hook /bin/sh (task " + task_id + "): ";

// Requests `stop` once `file` has content (the hook says it runs), from a thread of its own, and
// notes when in `requested_at`.
std::jthread stop_once_written(const std::string &file, std::stop_source &stop,
                               std::chrono::steady_clock::time_point *requested_at = nullptr) {
  return std::jthread([file, &stop, requested_at] {
    if (!test::wait_until([&] { return !test::read_text(file).empty(); }, 20s)) return;
    if (requested_at) *requested_at = std::chrono::steady_clock::now();
    stop.request_stop();
  });
}

class HookRunnerTest : public ::testing::Test {
public:
  HookRunnerTest() {
    log::set_level(LogLevel::info);
    log::set_journal_format(true);
    log::set_sink([this](std::string_view line) { m_lines.emplace_back(line); });
  }
  ~HookRunnerTest() override {
    log::clear_secrets();
    log::set_sink({});
    log::set_journal_format(false);
  }

protected:
  // Runs `script` with /bin/sh as the hook.
  Result<void> run_script(const std::string &script, std::chrono::seconds timeout = 30s, std::stop_token stop = {}) {
    return run_hook(HookSettings{{"/bin/sh", "-c", script}, timeout}, m_event, std::move(stop));
  }

  HookEvent m_event{task_id, "7", "5d41402abc4b2a76b9719d911017c592", "/var/lib/tasksync/mirror", "refs/heads/main"};
  std::vector<std::string> m_lines;
};

} // namespace

TEST_F(HookRunnerTest, NoHookConfiguredRunsNothing) {
  EXPECT_TRUE(run_hook(HookSettings{}, m_event).ok());
  EXPECT_TRUE(m_lines.empty());
}

TEST_F(HookRunnerTest, TheCommitArrivesInTheEnvironment) {
  ::setenv("TASKSYNC_VERSION", "stale", 1);
  const Result<void> result =
      run_script("echo \"$TASKSYNC_TASK_ID|$TASKSYNC_VERSION|$TASKSYNC_COMMIT|$TASKSYNC_REPO|$TASKSYNC_REF\"; "
                 "env | grep -c '^TASKSYNC_VERSION='; echo \"$PATH\"");
  ::unsetenv("TASKSYNC_VERSION");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(m_lines,
            (std::vector<std::string>{
                prefix + task_id + "|7|5d41402abc4b2a76b9719d911017c592|/var/lib/tasksync/mirror|refs/heads/main",
                prefix + "1",
                prefix + std::getenv("PATH"),
            }));
}

TEST_F(HookRunnerTest, TheHookGetsOnlyTheEnvironmentBuiltForIt) {
  const test::EnvChanges daemon{{"ANCHORBROWSER_API_KEY", "sk-hook-test-key"},
                                {"CREDENTIALS_DIRECTORY", "/run/credentials/tasksyncd.service"},
                                {"AWS_SECRET_ACCESS_KEY", "aws-secret"},
                                {"HTTPS_PROXY", "http://proxy.example:3128"},
                                {"LC_TIME", "C.UTF-8"},
                                {"TASKSYNC_EXTRA", "from the daemon"}};
  for (const auto &[name, value] : daemon)
    ::setenv(name.c_str(), value->c_str(), 1);
  const std::string env_prefix = "<6>hook env (task " + task_id + "): ";
  // What the hook should see of this process's environment: PATH, HOME and the locale.
  std::vector<std::string> expected;
  for (char **entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('='));
    if (name == "PATH" || name == "HOME" || name == "LANG" || name.starts_with("LC_")) {
      expected.push_back(env_prefix + text);
    }
  }
  HookSettings hook{{"env"}, 30s};
  hook.pass_env = {"HTTPS_PROXY", "UNSET_FOR_HOOK_TEST"};
  const Result<void> result = run_hook(hook, m_event);
  for (const auto &[name, value] : daemon)
    ::unsetenv(name.c_str());
  ASSERT_TRUE(result.ok()) << result.error().message;

  expected.push_back(env_prefix + "HTTPS_PROXY=http://proxy.example:3128");
  expected.push_back(env_prefix + "TASKSYNC_TASK_ID=" + task_id);
  expected.push_back(env_prefix + "TASKSYNC_VERSION=7");
  expected.push_back(env_prefix + "TASKSYNC_COMMIT=5d41402abc4b2a76b9719d911017c592");
  expected.push_back(env_prefix + "TASKSYNC_REPO=/var/lib/tasksync/mirror");
  expected.push_back(env_prefix + "TASKSYNC_REF=refs/heads/main");
  std::vector<std::string> lines = m_lines;
  std::sort(lines.begin(), lines.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines, expected);
  EXPECT_NE(std::find(lines.begin(), lines.end(), env_prefix + "LC_TIME=C.UTF-8"), lines.end());
}

TEST_F(HookRunnerTest, OutputIsLoggedWithTheDaemonsSecretsMaskedAndControlsEscaped) {
  log::add_secret("sk-hook-secret-0042");
  const Result<void> result = run_script("echo \"key=sk-hook-secret-0042\"; printf 'title \\033]0;pwned\\007\\n'");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(m_lines, (std::vector<std::string>{prefix + "key=<redacted>", prefix + "title \\x1b]0;pwned\\x07"}));
}

TEST_F(HookRunnerTest, StdoutAndStderrAreLoggedLineByLineAndStdinIsEmpty) {
  const Result<void> result = run_script("read line; echo \"read $? [$line]\"; echo out; echo err >&2; "
                                         "printf 'crlf\\r\\n\\n'; printf 'last, unterminated'");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(m_lines, (std::vector<std::string>{prefix + "read 1 []", prefix + "out", prefix + "err", prefix + "crlf",
                                               prefix, prefix + "last, unterminated"}));
}

TEST_F(HookRunnerTest, ArgvZeroIsSearchedInPath) {
  const Result<void> result = run_hook(HookSettings{{"true"}, 30s}, m_event);
  EXPECT_TRUE(result.ok()) << result.error().message;
}

TEST_F(HookRunnerTest, NonZeroExitIsAnError) {
  const Result<void> result = run_script("echo failing; exit 3");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "hook /bin/sh exited with status 3");
  EXPECT_EQ(m_lines, (std::vector<std::string>{prefix + "failing"}));
}

TEST_F(HookRunnerTest, DeathBySignalIsAnError) {
  const Result<void> result = run_script("kill -KILL $$");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "hook /bin/sh was killed by signal 9 (SIGKILL)");
}

TEST_F(HookRunnerTest, AMissingProgramIsAnError) {
  const Result<void> absolute = run_hook(HookSettings{{"/nonexistent/tasksync-hook"}, 30s}, m_event);
  ASSERT_FALSE(absolute.ok());
  EXPECT_EQ(absolute.error().message, "hook /nonexistent/tasksync-hook: cannot start: No such file or directory");
  const Result<void> searched = run_hook(HookSettings{{"tasksync-no-such-hook", "arg"}, 30s}, m_event);
  ASSERT_FALSE(searched.ok());
  EXPECT_EQ(searched.error().message, "hook tasksync-no-such-hook: cannot start: No such file or directory");
}

TEST_F(HookRunnerTest, AHookPastItsTimeoutIsKilledWithEverythingItStarted) {
  test::TempDir dir;
  const std::string pid_file = (dir / "background.pid").string();
  const auto start = std::chrono::steady_clock::now();
  const Result<void> result = run_script("sleep 100 & echo $! > " + pid_file + "; echo started; wait", 1s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "hook /bin/sh timed out after 1 s and was killed");
  EXPECT_GE(elapsed, 1s);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(m_lines, (std::vector<std::string>{prefix + "started"}));
  const pid_t background = std::stoi(test::read_text(pid_file));
  EXPECT_TRUE(test::wait_until([&] { return !test::process_running(background); }, 2s))
      << "sleep " << background << " survived";
}

TEST_F(HookRunnerTest, AHookEndsWhenItExitsAndTheChildItLeftRunsOn) {
  test::TempDir dir;
  const std::string pid_file = (dir / "background.pid").string();
  const auto start = std::chrono::steady_clock::now();
  // The background sleep holds the hook's stdout and stderr open long past the hook's exit.
  const Result<void> result = run_script("echo ok; sleep 100 & echo $! > " + pid_file + "; echo done", 20s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const pid_t background = std::stoi(test::read_text(pid_file));
  EXPECT_TRUE(test::process_running(background)) << "the hook's background child was killed";
  ::kill(background, SIGKILL);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_LT(elapsed, 10s) << "the hook was waited for until its timeout";
  EXPECT_EQ(m_lines, (std::vector<std::string>{prefix + "ok", prefix + "done"}));
}

TEST_F(HookRunnerTest, AStopKillsTheHookWithEverythingItStarted) {
  test::TempDir dir;
  const std::string pid_file = (dir / "background.pid").string();
  std::stop_source stop;
  const std::jthread stopper = stop_once_written(pid_file, stop);
  const auto start = std::chrono::steady_clock::now();
  const Result<void> result = run_script("sleep 100 & echo $! > " + pid_file + "; wait", 30s, stop.get_token());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "hook /bin/sh was killed: tasksyncd is stopping");
  EXPECT_LT(elapsed, 20s);
  const pid_t background = std::stoi(test::read_text(pid_file));
  EXPECT_TRUE(test::wait_until([&] { return !test::process_running(background); }, 2s))
      << "sleep " << background << " survived";
}

TEST_F(HookRunnerTest, AHookIgnoringTheStopsSigtermIsKilledASecondLater) {
  test::TempDir dir;
  const std::string ready = (dir / "ready").string();
  std::stop_source stop;
  std::chrono::steady_clock::time_point requested_at{};
  std::jthread stopper = stop_once_written(ready, stop, &requested_at);
  const Result<void> result = run_script("trap '' TERM; echo yes > " + ready + "; sleep 100", 30s, stop.get_token());
  const auto ended = std::chrono::steady_clock::now();
  stopper.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "hook /bin/sh was killed: tasksyncd is stopping");
  EXPECT_GE(ended - requested_at, 1s) << "SIGKILL came without the grace second";
  EXPECT_LT(ended - requested_at, 3s);
}

TEST_F(HookRunnerTest, IgnoringSigtermOnlyDelaysTheKill) {
  const auto start = std::chrono::steady_clock::now();
  const Result<void> result = run_script("trap '' TERM; sleep 100", 1s);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "hook /bin/sh timed out after 1 s and was killed");
  EXPECT_GE(elapsed, 3s);
  EXPECT_LT(elapsed, 5s);
}

TEST_F(HookRunnerTest, TenMegabytesOfLinesNeitherBlockNorFloodTheLog) {
  const Result<void> result = run_script("awk 'BEGIN { for (i = 0; i < 100000; i++) printf \"%099d\\n\", i }'");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(m_lines.size(), 101u);
  EXPECT_EQ(m_lines[0], prefix + std::string(99, '0'));
  EXPECT_EQ(m_lines[99], prefix + std::string(97, '0') + "99");
  EXPECT_EQ(m_lines[100], prefix + "99900 more lines (9990000 bytes) of output not logged");
}

TEST_F(HookRunnerTest, LoggedOutputStopsAt64KiB) {
  const Result<void> result = run_script("awk 'BEGIN { for (i = 0; i < 200; i++) printf \"%0999d\\n\", i }'");
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(m_lines.size(), 66u); // 65 lines of 1000 bytes fit in 65536
  EXPECT_EQ(m_lines[65], prefix + "135 more lines (135000 bytes) of output not logged");
}

TEST_F(HookRunnerTest, ASingleHugeLineIsDroppedNotBuffered) {
  const Result<void> result = run_script("head -c 10000000 /dev/zero | tr '\\0' x");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(m_lines, (std::vector<std::string>{prefix + "1 more line (10000000 bytes) of output not logged"}));
}

TEST_F(HookRunnerTest, TheHookStartsWithTheDaemonsSignalMaskUndone) {
  // As in tasksyncd: shutdown signals blocked in every thread, SIGPIPE ignored.
  sigset_t blocked;
  sigemptyset(&blocked);
  for (const int number : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&blocked, number);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  const auto previous_pipe = std::signal(SIGPIPE, SIG_IGN);
  const Result<void> result =
      run_hook(HookSettings{{"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"}, 30s}, m_event);
  std::signal(SIGPIPE, previous_pipe);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  ASSERT_TRUE(result.ok()) << result.error().message;
  const std::string grep_prefix = "<6>hook grep (task " + task_id + "): ";
  ASSERT_EQ(m_lines.size(), 2u);
  // "SigBlk:<tab>0000000000000000", the tab escaped like every control character in a log line.
  const std::size_t value_at = grep_prefix.size() + 7 + 4;
  ASSERT_EQ(m_lines[0].substr(0, value_at), grep_prefix + "SigBlk:\\x09");
  EXPECT_EQ(std::stoull(m_lines[0].substr(value_at), nullptr, 16), 0u) << m_lines[0];
  ASSERT_EQ(m_lines[1].substr(0, value_at), grep_prefix + "SigIgn:\\x09");
  const unsigned long long ignored = std::stoull(m_lines[1].substr(value_at), nullptr, 16);
  for (const int number : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) {
    EXPECT_EQ(ignored & (1ull << (number - 1)), 0u) << "signal " << number << " ignored: " << m_lines[1];
  }
}
