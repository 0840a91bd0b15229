#include "core_dumps.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace tasksyncd {

std::optional<std::string> disable_core_dumps() {
  const struct rlimit none { 0, 0 };
  if (::setrlimit(RLIMIT_CORE, &none) != 0) return std::string("setrlimit(RLIMIT_CORE, 0): ") + std::strerror(errno);
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return std::string("prctl(PR_SET_DUMPABLE, 0): ") + std::strerror(errno);
  return std::nullopt;
}

} // namespace tasksyncd
