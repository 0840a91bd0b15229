#pragma once

#include <filesystem>
#include <string_view>

#include "result.hpp"

namespace tasksync {

// Replaces `file` with `content` (mode 0644) through a temporary file in the same directory,
// fsync and rename, then fsyncs the directory: readers see the old bytes or the new, never a mix.
Result<void> write_file_atomically(const std::filesystem::path &file, std::string_view content);

// Removes `file` if it exists and fsyncs its directory.
Result<void> remove_file_durably(const std::filesystem::path &file);

// Flushes a directory's entries (new, renamed or removed names) to disk.
Result<void> sync_directory(const std::filesystem::path &dir);

} // namespace tasksync
