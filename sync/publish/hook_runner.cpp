#include "publish/hook_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/file_descriptor.hpp"
#include "base/log.hpp"

extern char **environ;

namespace tasksync {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t max_logged_lines = 100;
constexpr std::size_t max_logged_bytes = std::size_t{64} * 1024;
constexpr auto sigterm_grace = 2s;

// Logs a hook's output line by line up to the limits, then counts what it leaves out.
class OutputLog {
public:
  explicit OutputLog(std::string prefix) : m_prefix(std::move(prefix)) {}

  void feed(std::string_view data) {
    while (!data.empty()) {
      const std::size_t newline = data.find('\n');
      append(data.substr(0, newline));
      if (newline == std::string_view::npos) return;
      end_line(true);
      data.remove_prefix(newline + 1);
    }
  }

  void finish() {
    if (m_mid_line) end_line(false);
    if (m_dropped_lines > 0) {
      log::info(m_prefix + std::to_string(m_dropped_lines) + (m_dropped_lines == 1 ? " more line (" : " more lines (") +
                std::to_string(m_dropped_bytes) + " bytes) of output not logged");
    }
  }

private:
  void append(std::string_view piece) {
    if (piece.empty()) return;
    m_mid_line = true;
    if (m_full) {
      m_dropped_bytes += piece.size();
    } else if (m_line.size() + piece.size() >= max_logged_bytes - m_logged_bytes) {
      // The rest of the output goes unlogged too: the log shows a prefix of it, never a patchwork.
      m_full = true;
      m_dropped_bytes += m_line.size() + piece.size();
      m_line.clear();
    } else {
      m_line += piece;
    }
  }

  void end_line(bool terminated) {
    m_mid_line = false;
    if (!m_full && m_logged_lines == max_logged_lines) {
      m_full = true;
      m_dropped_bytes += m_line.size();
      m_line.clear();
    }
    if (m_full) {
      ++m_dropped_lines;
      if (terminated) ++m_dropped_bytes;
      return;
    }
    ++m_logged_lines;
    m_logged_bytes += m_line.size() + 1;
    if (!m_line.empty() && m_line.back() == '\r') m_line.pop_back();
    log::info(m_prefix + m_line);
    m_line.clear();
  }

  std::string m_prefix;
  std::string m_line;
  bool m_mid_line = false;
  bool m_full = false;
  std::size_t m_logged_lines = 0;
  std::size_t m_logged_bytes = 0;
  std::size_t m_dropped_lines = 0;
  std::size_t m_dropped_bytes = 0;
};

// Built, not inherited: the daemon's environment may hold ANCHORBROWSER_API_KEY,
// CREDENTIALS_DIRECTORY or whatever its unit sets, and a hook that prints its environment would
// send them to the log. The locale variables go too, so the hook reads and prints text as we do.
std::vector<std::string> hook_environment(const HookSettings &hook, const HookEvent &event) {
  std::vector<std::string> result;
  for (char **entry = environ; *entry; ++entry) {
    const std::string_view text = *entry;
    const std::string_view name = text.substr(0, text.find('='));
    const bool passed = name == "PATH" || name == "HOME" || name == "LANG" || name.starts_with("LC_") ||
                        std::ranges::find(hook.pass_env, name) != hook.pass_env.end();
    if (passed && name.size() < text.size()) result.emplace_back(text);
  }
  result.push_back("TASKSYNC_TASK_ID=" + event.task_id);
  result.push_back("TASKSYNC_VERSION=" + event.version);
  result.push_back("TASKSYNC_COMMIT=" + event.commit_id);
  result.push_back("TASKSYNC_REPO=" + event.repo.string());
  return result;
}

std::vector<char *> pointers(std::vector<std::string> &strings) {
  std::vector<char *> result;
  result.reserve(strings.size() + 1);
  for (std::string &text : strings)
    result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

// posix_spawn's attributes and file actions, destroyed on every path.
struct SpawnSetup {
  SpawnSetup() {
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
  }
  SpawnSetup(const SpawnSetup &) = delete;
  SpawnSetup &operator=(const SpawnSetup &) = delete;

  posix_spawnattr_t attributes;
  posix_spawn_file_actions_t actions;
};

// posix_spawn rather than fork: between fork and exec a multithreaded process may only make
// async-signal-safe calls, which is easy to get wrong.
Result<pid_t> spawn(std::vector<std::string> argv, std::vector<std::string> environment, int output_fd) {
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, output_fd, STDERR_FILENO);
  // The daemon blocks its shutdown signals in every thread and ignores SIGPIPE; a hook would
  // inherit both and then ignore our SIGTERM or never notice a closed pipe.
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP, SIGPIPE})
    sigaddset(&defaults, signal);
  posix_spawnattr_setsigmask(&setup.attributes, &none);
  posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
  // A group of its own, so a timeout also ends whatever the hook started.
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setflags(&setup.attributes,
                           static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  std::vector<char *> argv_pointers = pointers(argv);
  std::vector<char *> environment_pointers = pointers(environment);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv_pointers[0], &setup.actions, &setup.attributes, argv_pointers.data(),
                              environment_pointers.data());
  if (rc != 0) return Error{"hook " + argv[0] + ": cannot start: " + std::strerror(rc)};
  return pid;
}

// WNOWAIT leaves the child unreaped, so its pid, and with it the process group ID, cannot be
// reused until we are done signalling the group.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Logs output until the pipe is at end of file and the child has exited (true) or `deadline` passes (false).
bool pump(FileDescriptor &pipe, pid_t pid, OutputLog &output, Clock::time_point deadline) {
  std::vector<char> buffer(std::size_t{64} * 1024);
  while (true) {
    if (!pipe.is_open() && has_exited(pid)) return true;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    const auto wait = std::min(std::chrono::ceil<std::chrono::milliseconds>(deadline - now), 1000ms);
    if (!pipe.is_open()) {
      // The hook closed its output but still runs; there is nothing to poll but its exit.
      std::this_thread::sleep_for(std::min(wait, 10ms));
      continue;
    }
    pollfd entry{pipe.get(), POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(wait.count())) <= 0) continue;
    const ssize_t count = ::read(pipe.get(), buffer.data(), buffer.size());
    if (count > 0) {
      output.feed({buffer.data(), static_cast<std::size_t>(count)});
    } else if (count == 0 || errno != EINTR) {
      pipe.close();
    }
  }
}

std::string signal_text(int signal) {
  const char *name = sigabbrev_np(signal);
  return std::to_string(signal) + (name ? " (SIG" + std::string(name) + ")" : "");
}

} // namespace

Result<void> run_hook(const HookSettings &hook, const HookEvent &event) {
  if (hook.on_change.empty()) return {};
  const std::string &program = hook.on_change.front();
  int fds[2];
  // Close-on-exec on both ends: a child another thread spawns meanwhile must not hold the write
  // end (we would never see end of file) nor the read end.
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error{"hook " + program + ": cannot create a pipe: " + std::strerror(errno)};
  FileDescriptor read_end(fds[0]);
  FileDescriptor write_end(fds[1]);
  const Result<pid_t> child = spawn(hook.on_change, hook_environment(hook, event), write_end.get());
  write_end.close();
  if (!child) return child.error();
  const pid_t pid = *child;
  log::debug("hook " + program + " (task " + event.task_id + "): started as pid " + std::to_string(pid));

  OutputLog output("hook " + program + " (task " + event.task_id + "): ");
  const bool timed_out = !pump(read_end, pid, output, Clock::now() + hook.timeout);
  if (timed_out) {
    ::kill(-pid, SIGTERM);
    pump(read_end, pid, output, Clock::now() + sigterm_grace);
    ::kill(-pid, SIGKILL);
  }
  read_end.close();
  output.finish();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  if (timed_out) {
    return Error{"hook " + program + " timed out after " + std::to_string(hook.timeout.count()) + " s and was killed"};
  }
  if (WIFSIGNALED(status)) return Error{"hook " + program + " was killed by signal " + signal_text(WTERMSIG(status))};
  if (WEXITSTATUS(status) != 0) {
    return Error{"hook " + program + " exited with status " + std::to_string(WEXITSTATUS(status))};
  }
  return {};
}

} // namespace tasksync
