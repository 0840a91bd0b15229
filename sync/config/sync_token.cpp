#include "config/sync_token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file_descriptor.hpp"
#include "base/log.hpp"

namespace tasksync {
namespace {

constexpr std::size_t kLongestFile = 4096;
constexpr std::size_t kShortestToken = 16;

} // namespace

Result<std::string> load_sync_token(const std::filesystem::path &file) {
  const std::string where = "http.sync_token_file " + file.string() + ": ";
  // O_NONBLOCK: a FIFO without a writer is refused below instead of waited on.
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.is_open()) return Error{where + "cannot read: " + std::strerror(errno)};
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return Error{where + "cannot read: " + std::strerror(errno)};
  if (!S_ISREG(status.st_mode)) return Error{where + "cannot read: not a regular file"};
  std::string token;
  char buffer[1024];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{where + "cannot read: " + std::strerror(errno)};
    if (got == 0) break;
    token.append(buffer, static_cast<std::size_t>(got));
    if (token.size() > kLongestFile) return Error{where + "larger than 4 KiB, too large for a token"};
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  for (const char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return Error{where + "the token must be one line without spaces or control characters"};
    }
  }
  if (token.size() < kShortestToken) {
    return Error{where + "the token is shorter than " + std::to_string(kShortestToken) +
                 " characters (e.g. openssl rand -hex 32 makes a good one)"};
  }
  log::add_secret(token);
  return token;
}

} // namespace tasksync
