#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_descriptor.hpp"
#include "base/result.hpp"

namespace tasksync {

// The repository's work tree as a boundary: the root is opened once, and every path below it
// (relative, '/'-separated, e.g. "tasks/<id>/task.ts") is reached one component at a time with
// openat(O_NOFOLLOW), so nothing outside the root is ever read, written or removed. A symlink,
// FIFO, socket or device where a directory or file of ours should be is removed (the link
// itself, never its target), logged and replaced; a file is never opened in a way that blocks.
class WorkTree {
public:
  // A file a directory should hold after update_directory().
  struct File {
    std::string name;
    std::string_view content;
    bool changed = true; // false: the file already holds `content`; written only when missing
  };

  // Opens the work tree at `root` (which must be a directory).
  static Result<WorkTree> open(const std::filesystem::path &root);

  // Makes the directory `dir` (created with its parents when missing) hold `files` and no
  // longer hold `removed` (files or whole directories), all or nothing: every changed file is
  // first written to a temporary in the directory and renamed into place only when all of them
  // could be written and nothing of another kind (a directory) stands in their way. When `dir`
  // itself had to be replaced, every file is written, changed or not. An empty `files` with
  // the directory then empty removes the directory too.
  Result<void> update_directory(const std::string &dir, const std::vector<File> &files,
                                const std::vector<std::string> &removed);

  // Writes one regular file at `path`, creating its directories.
  Result<void> write_file(const std::string &path, std::string_view content);

  // Removes `path` (a file, a link or a whole directory) if present, and its parent directory
  // when that is left empty.
  Result<void> remove(const std::string &path);

  // The status of the entry at `path` (not following a final symlink); nullopt when absent or
  // when a directory on the way is not a real directory.
  std::optional<struct stat> status(const std::string &path) const;

  // The content of the regular file at `path`; nullopt when absent or not a regular file.
  Result<std::optional<std::string>> read_regular(const std::string &path) const;

  // The work tree's root.
  const std::filesystem::path &root() const { return m_root; }

  // The directory `dir` opened once, reached without following links, for looking at many
  // entries below it (status_below(), names_in()); nullopt when it is not there as a real
  // directory.
  Result<std::optional<FileDescriptor>> find_directory(const std::string &dir) const {
    return open_directory(dir, false);
  }

  // The status of `path` below the open directory `at` (a name, or "name/name"), not following
  // its last component; nullopt when absent. Only reads: a caller that must not look through a
  // link on the way checks the directories on the way first.
  static std::optional<struct stat> status_below(const FileDescriptor &at, const std::string &path);

  // The names in the directory `name` of the open directory `at` ("." and ".." left out);
  // nullopt when it is not there as a real directory (a link is never followed).
  static Result<std::optional<std::vector<std::string>>> names_in(const FileDescriptor &at, const std::string &name);

private:
  WorkTree(std::filesystem::path root, FileDescriptor fd) : m_root(std::move(root)), m_fd(std::move(fd)) {}

  // The directory at `dir`; with `create`, made (and a non-directory in the way replaced) when
  // needed, `replaced` set when it did not exist as a real directory before. Without `create`,
  // nullopt when it is not there as a real directory.
  Result<std::optional<FileDescriptor>> open_directory(const std::string &dir, bool create,
                                                       bool *replaced = nullptr) const;

  std::filesystem::path m_root;
  FileDescriptor m_fd;
};

// What kind of entry a file of `mode` is, for messages: "a symlink", "a FIFO", "a socket",
// "a device", "a directory" or "a file".
const char *kind_of(mode_t mode);

} // namespace tasksync
