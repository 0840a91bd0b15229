#pragma once

#include <optional>
#include <string>

namespace tasksyncd {

// Keeps the process's memory (the API key, tokens, the webhook secret) out of core files and
// other users' reach: RLIMIT_CORE 0, soft and hard (no core file, whatever `ulimit -c` or the
// unit said, and a hook cannot raise it either), and PR_SET_DUMPABLE 0 (no core either way, and
// only root may ptrace the process or read /proc/PID/mem and environ). Called first in main(),
// before any secret is read. nullopt on success, else what failed and why.
std::optional<std::string> disable_core_dumps();

} // namespace tasksyncd
