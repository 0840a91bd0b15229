#pragma once

#include <filesystem>

#include "base/file_descriptor.hpp"
#include "base/result.hpp"

namespace tasksync {

// An exclusive, process-lifetime lock on a repository (flock on <git dir>/tasksyncd.lock), so
// that two tasksyncd never write one repository. The kernel drops it when the process dies,
// so a crash never leaves it behind.
class InstanceLock {
public:
  // Takes the lock of the repository at `work_tree` without waiting; fails naming the
  // holder's pid (as the kernel reports it) when another process, or another Mirror in this
  // one, has it. Writes nothing once the lock file exists. Refuses a lock file that is a symlink
  // (never following it) or not a regular file, naming it.
  static Result<InstanceLock> acquire(const std::filesystem::path &git_dir, const std::filesystem::path &work_tree);

private:
  explicit InstanceLock(FileDescriptor fd) : m_fd(std::move(fd)) {}
  FileDescriptor m_fd; // the lock lasts as long as it is open
};

} // namespace tasksync
