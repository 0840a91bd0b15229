#include "git/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "git/work_tree.hpp"

namespace tasksync {

namespace {

// The pid holding a flock on the file open as `fd`, from /proc/locks ("1: FLOCK ADVISORY WRITE
// <pid> <major>:<minor>:<inode> 0 EOF"): asking the kernel keeps the lock file unwritten, so a
// pass that changes nothing writes nothing at all.
std::string lock_holder(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return "unknown";
  char device_and_inode[64];
  std::snprintf(device_and_inode, sizeof device_and_inode, "%02x:%02x:%llu", major(info.st_dev), minor(info.st_dev),
                static_cast<unsigned long long>(info.st_ino));
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string number, type, mode, access, pid, where;
    if (!(fields >> number >> type >> mode >> access >> pid >> where)) continue;
    if (type == "FLOCK" && where == device_and_inode) return pid;
  }
  return "unknown";
}

} // namespace

Result<InstanceLock> InstanceLock::acquire(const std::filesystem::path &git_dir,
                                           const std::filesystem::path &work_tree) {
  const std::filesystem::path file = git_dir / "tasksyncd.lock";
  // O_NOFOLLOW: a symlink there, dangling or not, is refused, never followed (O_CREAT would create
  // its target, wherever it points). It is not replaced either: two daemons replacing it at once
  // could each lock a file of their own. O_NONBLOCK: a FIFO there must not hold up the start.
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
  if (!fd.is_open() && errno == ELOOP) {
    return Error{"cannot open " + file.string() + ": it is a symlink, which tasksync never follows there; " +
                 "remove it (tasksync creates the lock file itself)"};
  }
  if (!fd.is_open()) return Error{"cannot open " + file.string() + ": " + std::strerror(errno)};
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return Error{"cannot open " + file.string() + ": " + std::strerror(errno)};
  if (!S_ISREG(info.st_mode)) {
    return Error{"cannot open " + file.string() + ": it is " + kind_of(info.st_mode) +
                 ", not a regular file; remove it (tasksync creates the lock file itself)"};
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return Error{"cannot lock " + file.string() + ": " + std::strerror(errno)};
    return Error{"another tasksyncd (pid " + lock_holder(fd.get()) + ") is already working on " + work_tree.string() +
                 "; refusing to run a second one on the same repository"};
  }
  return InstanceLock(std::move(fd));
}

} // namespace tasksync
