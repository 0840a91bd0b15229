#include "instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace tasksync {

Result<InstanceLock> InstanceLock::acquire(const std::filesystem::path &git_dir,
                                           const std::filesystem::path &work_tree) {
  const std::filesystem::path file = git_dir / "tasksyncd.lock";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error{"cannot open " + file.string() + ": " + std::strerror(errno)};
  InstanceLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return Error{"cannot lock " + file.string() + ": " + std::strerror(errno)};
    char holder[32] = {};
    const ssize_t length = ::pread(fd, holder, sizeof holder - 1, 0);
    std::string pid = length > 0 ? std::string(holder, static_cast<std::size_t>(length)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Error{"another tasksyncd (pid " + pid + ") is already working on " + work_tree.string() +
                 "; refusing to run a second one on the same repository"};
  }
  // The pid is for people reading the message above; the lock itself is the flock.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    return Error{"cannot write " + file.string() + ": " + std::strerror(errno)};
  }
  return lock;
}

InstanceLock::InstanceLock(InstanceLock &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

InstanceLock &InstanceLock::operator=(InstanceLock &&other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

InstanceLock::~InstanceLock() {
  if (m_fd >= 0) ::close(m_fd);
}

} // namespace tasksync
