#pragma once

#include <unistd.h>

#include <utility>

namespace tasksync {

// Owns a file descriptor and closes it once, when destroyed or by close().
class FileDescriptor {
public:
  // Takes ownership of `fd` (-1: none).
  explicit FileDescriptor(int fd = -1) : m_fd(fd) {}
  ~FileDescriptor() { close(); }
  FileDescriptor(FileDescriptor &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  FileDescriptor &operator=(FileDescriptor &&other) noexcept {
    if (this != &other) {
      close();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;

  // The descriptor, or -1.
  int get() const { return m_fd; }
  // True when a descriptor is held.
  bool is_open() const { return m_fd >= 0; }
  // Closes now; returns close()'s result (0 when nothing was open), reporting the error that a
  // deferred close would hide.
  int close() { return m_fd >= 0 ? ::close(std::exchange(m_fd, -1)) : 0; }

private:
  int m_fd;
};

} // namespace tasksync
