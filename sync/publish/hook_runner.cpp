#include "publish/hook_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string_view>
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
constexpr auto sigterm_grace = 2s; // from SIGTERM to SIGKILL after a timeout
constexpr auto stop_grace = 1s;    // and when tasksyncd stops, which must end within 5 s

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
  result.push_back("TASKSYNC_REF=" + event.ref);
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

// What ended the wait for a hook: its exit, its deadline, or a stop.
enum class HookEnd { exited, deadline, stopped };

// What pump() watches: the hook's output, its exit (a pidfd; without one, its exit is looked for
// every 50 ms) and a stop (an eventfd, or -1).
struct Watched {
  FileDescriptor &output;
  const FileDescriptor &exit;
  pid_t pid;
  int stop;
};

// Logs output until the hook exits, `deadline` passes or a stop is asked for. The hook's exit
// is its end: a child it left behind may hold the pipe open for as long as it likes.
HookEnd pump(Watched watched, OutputLog &output, Clock::time_point deadline) {
  std::vector<char> buffer(std::size_t{64} * 1024);
  while (true) {
    if (has_exited(watched.pid)) return HookEnd::exited;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return HookEnd::deadline;
    auto wait = std::min(std::chrono::ceil<std::chrono::milliseconds>(deadline - now), 1000ms);
    if (!watched.exit.is_open()) wait = std::min(wait, 50ms);
    // A negative descriptor is skipped by poll(2): the closed pipe, a missing pidfd or stop.
    std::array<pollfd, 3> entries{
        {{watched.output.get(), POLLIN, 0}, {watched.exit.get(), POLLIN, 0}, {watched.stop, POLLIN, 0}}};
    if (::poll(entries.data(), entries.size(), static_cast<int>(wait.count())) <= 0) continue;
    if (entries[2].revents != 0) return HookEnd::stopped;
    if (entries[0].revents == 0) continue;
    const ssize_t count = ::read(watched.output.get(), buffer.data(), buffer.size());
    if (count > 0) {
      output.feed({buffer.data(), static_cast<std::size_t>(count)});
    } else if (count == 0 || errno != EINTR) {
      watched.output.close();
    }
  }
}

// Logs what is in the pipe now, without waiting for more: what the hook wrote before it ended
// (children it left may write on; their output is not waited for).
void drain(const FileDescriptor &pipe, OutputLog &output) {
  int available = 0;
  if (!pipe.is_open() || ::ioctl(pipe.get(), FIONREAD, &available) != 0) return;
  std::vector<char> buffer(std::size_t{64} * 1024);
  while (available > 0) {
    const ssize_t count =
        ::read(pipe.get(), buffer.data(), std::min(buffer.size(), static_cast<std::size_t>(available)));
    if (count <= 0 && errno == EINTR) continue;
    if (count <= 0) return;
    output.feed({buffer.data(), static_cast<std::size_t>(count)});
    available -= static_cast<int>(count);
  }
}

// Makes an eventfd readable: how a stop wakes pump().
struct SignalEvent {
  int fd;
  void operator()() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(fd, &one, sizeof one);
  }
};

std::string signal_text(int signal) {
  const char *name = sigabbrev_np(signal);
  return std::to_string(signal) + (name ? " (SIG" + std::string(name) + ")" : "");
}

} // namespace

Result<void> run_hook(const HookSettings &hook, const HookEvent &event, std::stop_token stop) {
  if (hook.on_change.empty()) return {};
  const std::string &program = hook.on_change.front();
  int fds[2];
  // Close-on-exec on both ends: a child another thread spawns meanwhile must not hold the write
  // end (its output would go where nobody reads) nor the read end.
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error{"hook " + program + ": cannot create a pipe: " + std::strerror(errno)};
  FileDescriptor read_end(fds[0]);
  FileDescriptor write_end(fds[1]);
  FileDescriptor stop_event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_event.is_open()) {
    return Error{"hook " + program + ": cannot create an eventfd: " + std::strerror(errno)};
  }
  const std::stop_callback wake_on_stop(std::move(stop), SignalEvent{stop_event.get()});
  const Result<pid_t> child = spawn(hook.on_change, hook_environment(hook, event), write_end.get());
  write_end.close();
  if (!child) return child.error();
  const pid_t pid = *child;
  // Readable once the hook has exited. Without one (a kernel before 5.3, a seccomp filter that
  // refuses it) pump() looks for the exit every 50 ms instead. The raw syscall: glibc 2.36's
  // <sys/pidfd.h> declares pidfd_open without C linkage, so C++ cannot link to it.
  const FileDescriptor exit_watch(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  log::debug("hook " + program + " (task " + event.task_id + "): started as pid " + std::to_string(pid));

  OutputLog output("hook " + program + " (task " + event.task_id + "): ");
  const HookEnd end = pump({read_end, exit_watch, pid, stop_event.get()}, output, Clock::now() + hook.timeout);
  if (end != HookEnd::exited) {
    // The group, so that whatever the hook started ends with it; a stop leaves it less time.
    ::kill(-pid, SIGTERM);
    pump({read_end, exit_watch, pid, -1}, output,
         Clock::now() + (end == HookEnd::stopped ? stop_grace : sigterm_grace));
    ::kill(-pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  drain(read_end, output);
  read_end.close();
  output.finish();

  if (end == HookEnd::deadline) {
    return Error{"hook " + program + " timed out after " + std::to_string(hook.timeout.count()) + " s and was killed"};
  }
  if (end == HookEnd::stopped) return Error{"hook " + program + " was killed: tasksyncd is stopping"};
  if (WIFSIGNALED(status)) return Error{"hook " + program + " was killed by signal " + signal_text(WTERMSIG(status))};
  if (WEXITSTATUS(status) != 0) {
    return Error{"hook " + program + " exited with status " + std::to_string(WEXITSTATUS(status))};
  }
  return {};
}

} // namespace tasksync
