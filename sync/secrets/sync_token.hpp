#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The bearer token of POST /sync from http.sync_token_file: one line of at least 16 printable
// characters (a final newline is trimmed), from a regular file of at most 4 KiB. Once read it is
// masked in every log line. Errors name the key, the path and the OS reason, never the token.
Result<std::string> load_sync_token(const std::filesystem::path &file);

} // namespace tasksync
