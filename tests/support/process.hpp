#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tasksync::test {

class TempDir;

// What a finished child process left behind.
struct ProcessResult {
  int exit_code = -1; // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// Environment changes for a child: a value sets the variable, nullopt unsets it.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

// A child process running in the background (argv[0] searched in PATH) with its stdout and
// stderr captured in files; killed with SIGKILL if still running when destroyed.
class ChildProcess {
public:
  ChildProcess(const std::vector<std::string> &argv, const EnvChanges &env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  // The child's process ID.
  pid_t pid() const { return m_pid; }
  // Sends `signal` to the child.
  void signal(int signal) const;
  // Waits for the child to end and returns its exit code.
  int wait();
  // The exit code once the child has ended within `timeout`, else nullopt.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // What the child wrote so far.
  std::string out() const;
  std::string err() const;

private:
  std::unique_ptr<TempDir> m_output;
  pid_t m_pid = -1;
  std::optional<int> m_exit_code;
};

// Runs a child to completion.
ProcessResult run_process(const std::vector<std::string> &argv, const EnvChanges &env = {});

// `git -C repo args...`, for checking what libgit2 wrote.
ProcessResult git(const std::string &repo, const std::vector<std::string> &args);

// A loopback TCP port with nothing listening on it right now.
int free_port();

// True while process `pid` runs; one that ended but was not reaped yet (a zombie) counts as gone.
bool process_running(pid_t pid);

// True while a process of group `group` runs (zombies count as gone).
bool process_group_running(pid_t group);

// Checks `condition` every 20 ms until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()> &condition, std::chrono::milliseconds timeout);

} // namespace tasksync::test
