#include "tasksyncd.hpp"

#include <csignal>

namespace tasksync::test {

EnvChanges tasksyncd_environment(const std::string &api_key, const EnvChanges &changes) {
  EnvChanges env{{"ANCHORBROWSER_API_KEY", api_key},
                 {"CREDENTIALS_DIRECTORY", std::nullopt},
                 {"JOURNAL_STREAM", std::nullopt},
                 {"NOTIFY_SOCKET", std::nullopt},
                 {"WATCHDOG_USEC", std::nullopt}};
  for (const auto &[name, value] : changes)
    env.insert_or_assign(name, value);
  return env;
}

std::string tasksyncd_binary() { return TASKSYNCD_PATH; }

namespace {

std::vector<std::string> tasksyncd_argv(const std::vector<std::string> &args) {
  std::vector<std::string> argv{TASKSYNCD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

} // namespace

TasksyncdRun run_tasksyncd(const std::vector<std::string> &args, const EnvChanges &env,
                           std::chrono::milliseconds bound) {
  const auto started = std::chrono::steady_clock::now();
  ChildProcess child(tasksyncd_argv(args), env);
  TasksyncdRun run;
  run.exit_code = child.wait_for_exit(bound);
  run.took = std::chrono::steady_clock::now() - started;
  run.out = child.out();
  run.err = child.err();
  return run; // the child, if still running, is killed here
}

namespace {

// `text` as one word for sh.
std::string shell_quoted(const std::string &text) {
  std::string quoted = "'";
  for (const char c : text)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

} // namespace

TasksyncdRun run_tasksyncd_on_terminal(const std::vector<std::string> &args, const EnvChanges &env,
                                       std::chrono::milliseconds bound) {
  std::string command;
  for (const std::string &word : tasksyncd_argv(args))
    command += (command.empty() ? "" : " ") + shell_quoted(word);
  EnvChanges with_shell = env;
  with_shell.insert_or_assign("SHELL", "/bin/sh"); // what script(1) runs the command with
  // -q: no "Script started" lines; -e: script's exit code is the command's; -f: flush at once.
  TasksyncdRun run;
  const auto started = std::chrono::steady_clock::now();
  ChildProcess child({"script", "-qefc", command, "/dev/null"}, with_shell);
  run.exit_code = child.wait_for_exit(bound);
  run.took = std::chrono::steady_clock::now() - started;
  run.out = child.out();
  run.err = child.err();
  return run;
}

std::unique_ptr<ChildProcess> start_tasksyncd(const std::vector<std::string> &args, const EnvChanges &env) {
  return std::make_unique<ChildProcess>(tasksyncd_argv(args), env);
}

::testing::AssertionResult stop_tasksyncd(ChildProcess &daemon) {
  daemon.signal(SIGTERM);
  const std::optional<int> code = daemon.wait_for_exit(std::chrono::seconds(5));
  if (!code) return ::testing::AssertionFailure() << "tasksyncd did not exit within 5 s of SIGTERM:\n" << daemon.err();
  if (*code != 0)
    return ::testing::AssertionFailure() << "tasksyncd exited " << *code << " on SIGTERM:\n" << daemon.err();
  if (daemon.err().find(" info: stopping\n") == std::string::npos) {
    return ::testing::AssertionFailure() << "tasksyncd exited 0 without logging \"stopping\":\n" << daemon.err();
  }
  return ::testing::AssertionSuccess();
}

std::size_t passes_finished(const ChildProcess &daemon) {
  const std::string err = daemon.err();
  std::size_t count = 0;
  for (auto at = err.find("pass finished in"); at != std::string::npos; at = err.find("pass finished in", at + 1))
    ++count;
  return count;
}

int count_commits(const std::filesystem::path &repo, const std::string &rev) {
  const ProcessResult result = git(repo.string(), {"rev-list", "--count", rev});
  return result.exit_code == 0 ? std::stoi(result.out) : 0;
}

bool wait_for_commits(const std::filesystem::path &repo, int count, std::chrono::milliseconds timeout,
                      const std::string &rev) {
  return wait_until([&] { return count_commits(repo, rev) >= count; }, timeout);
}

FakeVersion task_version(const std::string &id, const std::string &version) {
  FakeVersion fake;
  fake.task_id = id;
  fake.version = version;
  fake.code = "// " + id + " version " + version + "\n";
  return fake;
}

} // namespace tasksync::test
