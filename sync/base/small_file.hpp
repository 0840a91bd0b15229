#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "base/file_descriptor.hpp"
#include "base/result.hpp"

namespace tasksync {

/// How one small file (a secret, a key, the config) is opened and read, and how errors name it.
struct SmallFile {
  std::string named;          // starts each error, before ": reason" ("cannot read repo.push.token_file /t")
  std::size_t limit{};        // the most bytes the file may hold (read_small_file)
  std::string holds{};        // ends the size error: "..., too large for a secret"
  bool follow_symlink = true; // false (O_NOFOLLOW): a symlink is refused, for a path that is ours
  std::string when_denied{};  // added to "Permission denied": how else the file may be handed over
};

// `file` opened read-only, close-on-exec and non-blocking (a FIFO without a writer is refused,
// never waited on), then checked with fstat to be a regular file (a device, FIFO, socket or
// directory is refused by what it is). Errors read "NAMED: No such file or directory" or
// "NAMED: it is a FIFO, not a regular file".
Result<FileDescriptor> open_regular_file(const std::filesystem::path &file, const SmallFile &how);

// The content of `file`, opened as open_regular_file() opens it, when it holds at most how.limit
// bytes (its size is checked before reading and the reading stops past the limit, so neither a
// huge file nor one that grows is read whole); else "NAMED: it is larger than 4 KiB (4096 bytes),
// too large for a secret". Errors never show the content.
Result<std::string> read_small_file(const std::filesystem::path &file, const SmallFile &how);

} // namespace tasksync
