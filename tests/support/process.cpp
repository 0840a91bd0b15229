#include "process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include "temp_dir.hpp"

extern char **environ;

namespace tasksync::test {
namespace {

std::vector<std::string> merged_environment(const EnvChanges &env) {
  std::map<std::string, std::string> merged;
  for (char **entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    if (equals != std::string::npos) merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto &[name, value] : env) {
    if (value)
      merged[name] = *value;
    else
      merged.erase(name);
  }
  std::vector<std::string> result;
  for (const auto &[name, value] : merged)
    result.push_back(name + "=" + value);
  return result;
}

std::vector<char *> pointers(std::vector<std::string> &strings) {
  std::vector<char *> result;
  for (auto &text : strings)
    result.push_back(text.data());
  result.push_back(nullptr);
  return result;
}

int decode_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

} // namespace

ChildProcess::ChildProcess(const std::vector<std::string> &argv, const EnvChanges &env)
    : m_output(std::make_unique<TempDir>()) {
  std::vector<std::string> env_strings = merged_environment(env);
  std::vector<std::string> args = argv;
  auto envp = pointers(env_strings);
  auto argvp = pointers(args);
  const std::string out_file = (*m_output / "stdout").string();
  const std::string err_file = (*m_output / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // The child starts with no blocked signals, whatever the test runner's threads had blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  const int rc = posix_spawnp(&m_pid, argvp[0], &actions, &attributes, argvp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

ChildProcess::~ChildProcess() {
  if (!m_exit_code) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
  }
}

void ChildProcess::signal(int signal) const { ::kill(m_pid, signal); }

int ChildProcess::wait() {
  int status = 0;
  while (!m_exit_code) {
    if (::waitpid(m_pid, &status, 0) == m_pid) m_exit_code = decode_status(status);
  }
  return *m_exit_code;
}

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  wait_until(
      [&] {
        int status = 0;
        if (!m_exit_code && ::waitpid(m_pid, &status, WNOHANG) == m_pid) m_exit_code = decode_status(status);
        return m_exit_code.has_value();
      },
      timeout);
  return m_exit_code;
}

std::string ChildProcess::out() const { return read_text(*m_output / "stdout"); }

std::string ChildProcess::err() const { return read_text(*m_output / "stderr"); }

ProcessResult run_process(const std::vector<std::string> &argv, const EnvChanges &env) {
  ChildProcess child(argv, env);
  const int exit_code = child.wait();
  return {exit_code, child.out(), child.err()};
}

ProcessResult git(const std::string &repo, const std::vector<std::string> &args) {
  std::vector<std::string> argv = {"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

namespace {

// Process `pid`'s state letter and process group, from /proc/PID/stat; nullopt when it is gone.
std::optional<std::pair<char, pid_t>> process_state(const std::string &pid) {
  const std::string stat = read_text("/proc/" + pid + "/stat");
  // "pid (comm) state ppid pgrp ...": the name may hold anything but ends at the last ')'.
  const auto name_end = stat.rfind(") ");
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(name_end + 2));
  char state = 0;
  pid_t parent = 0;
  pid_t group = 0;
  if (!(fields >> state >> parent >> group)) return std::nullopt;
  return std::pair{state, group};
}

} // namespace

bool process_running(pid_t pid) {
  const auto state = process_state(std::to_string(pid));
  return state && state->first != 'Z';
}

bool process_group_running(pid_t group) {
  for (const auto &entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto state = process_state(name);
    if (state && state->first != 'Z' && state->second == group) return true;
  }
  return false;
}

bool wait_until(const std::function<bool()> &condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

} // namespace tasksync::test
