#pragma once

#include <filesystem>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// How far a change to a file has gone when the call returns.
enum class Durability {
  on_disk,    // fsync of the file and its directory: it survives a power cut
  page_cache, // every reader sees it at once; for files rebuilt from elsewhere after a crash
};

// Writes all of `content` to `fd` (retrying short writes); `path` names the file in the error.
Result<void> write_all(int fd, std::string_view content, const std::filesystem::path &path);

// Replaces `file` with `content` (mode 0644) through a temporary file in the same directory
// and a rename: readers see the old bytes or the new, never a mix.
Result<void> write_file_atomically(const std::filesystem::path &file, std::string_view content,
                                   Durability durability = Durability::on_disk);

// Removes `file` if it exists.
Result<void> remove_file(const std::filesystem::path &file, Durability durability = Durability::on_disk);

// Flushes a directory's entries (new, renamed or removed names) to disk.
Result<void> sync_directory(const std::filesystem::path &dir);

} // namespace tasksync
