#include "base/small_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tasksync {
namespace {

const char *kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "something else";
}

// "4 KiB (4096 bytes)", "1 MiB (1048576 bytes)".
std::string size_text(std::size_t bytes) {
  const std::string exact = " (" + std::to_string(bytes) + " bytes)";
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB" + exact;
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB" + exact;
  return std::to_string(bytes) + " bytes";
}

Error failure(const SmallFile &how, int error) {
  std::string message = how.named + ": " + std::strerror(error);
  if (error == EACCES && !how.when_denied.empty()) message += " (" + how.when_denied + ")";
  return Error{message};
}

// open_regular_file(), and what fstat said of the file.
Result<FileDescriptor> open_regular(const std::filesystem::path &file, const SmallFile &how, struct stat &status) {
  const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (how.follow_symlink ? 0 : O_NOFOLLOW);
  FileDescriptor fd(::open(file.c_str(), flags));
  if (!fd.is_open()) {
    const int error = errno;
    // O_NOFOLLOW reports a symlink as ELOOP, which reads as a loop of links: say what it is.
    if (error == ELOOP && !how.follow_symlink) return Error{how.named + ": it is a symbolic link, not a regular file"};
    return failure(how, error);
  }
  if (::fstat(fd.get(), &status) != 0) return failure(how, errno);
  if (!S_ISREG(status.st_mode)) {
    return Error{how.named + ": it is " + kind_of(status.st_mode) + ", not a regular file"};
  }
  return fd;
}

} // namespace

Result<FileDescriptor> open_regular_file(const std::filesystem::path &file, const SmallFile &how) {
  struct stat status {};
  return open_regular(file, how, status);
}

Result<std::string> read_small_file(const std::filesystem::path &file, const SmallFile &how) {
  struct stat status {};
  TRY_ASSIGN(const FileDescriptor fd, open_regular(file, how, status));
  const Error too_large{how.named + ": it is larger than " + size_text(how.limit) + ", too large for " + how.holds};
  if (static_cast<std::size_t>(status.st_size) > how.limit) return too_large;
  std::string text;
  char buffer[4096];
  for (;;) { // bounded again: the file may grow after fstat, and /proc files say 0 bytes
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return failure(how, errno);
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > how.limit) return too_large;
  }
  return text;
}

} // namespace tasksync
