#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The content of a secret's file named by config key `key` (e.g. "http.sync_token_file"): a
// regular file of at most 4 KiB (a FIFO is refused, never waited on), its final line breaks
// trimmed, not empty. Errors read "KEY PATH: reason" with the OS reason, never the content.
Result<std::string> read_secret_file(const std::filesystem::path &file, const std::string &key);

} // namespace tasksync
