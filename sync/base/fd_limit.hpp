#pragma once

#include <sys/resource.h>

#include "base/result.hpp"

namespace tasksync {

// Raises the soft limit on open files (RLIMIT_NOFILE) to the hard limit and returns the new
// soft limit, so that a pass has every descriptor the system grants (the status server takes a
// fixed few of them whatever the limit).
Result<rlim_t> raise_open_file_limit();

} // namespace tasksync
