#include "base/fd_limit.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace tasksync {

namespace {

std::string describe(rlim_t limit) { return limit == RLIM_INFINITY ? "unlimited" : std::to_string(limit); }

} // namespace

Result<rlim_t> raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Error{std::string("cannot read the open-file limit (RLIMIT_NOFILE): ") + std::strerror(errno)};
  }
  if (limit.rlim_cur == limit.rlim_max) return limit.rlim_cur;
  const rlim_t soft = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Error{"cannot raise the open-file limit (RLIMIT_NOFILE) from " + describe(soft) + " to the hard limit " +
                 describe(limit.rlim_max) + ": " + std::strerror(errno)};
  }
  return limit.rlim_cur;
}

} // namespace tasksync
