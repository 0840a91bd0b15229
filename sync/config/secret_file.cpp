#include "config/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_descriptor.hpp"

namespace tasksync {
namespace {

constexpr std::size_t kLongestFile = 4096;

} // namespace

Result<std::string> read_secret_file(const std::filesystem::path &file, const std::string &key) {
  const std::string where = key + " " + file.string() + ": ";
  // O_NONBLOCK: a FIFO without a writer is refused below instead of waited on.
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.is_open()) return Error{where + "cannot read: " + std::strerror(errno)};
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return Error{where + "cannot read: " + std::strerror(errno)};
  if (!S_ISREG(status.st_mode)) return Error{where + "cannot read: not a regular file"};
  std::string secret;
  char buffer[1024];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{where + "cannot read: " + std::strerror(errno)};
    if (got == 0) break;
    secret.append(buffer, static_cast<std::size_t>(got));
    if (secret.size() > kLongestFile) return Error{where + "larger than 4 KiB, too large for a secret"};
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  if (secret.empty()) return Error{where + "the file is empty"};
  return secret;
}

} // namespace tasksync
