#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tasksync {

// One file's change: the content before (nullopt: file added) and after (nullopt: removed).
struct FileChange {
  std::string path;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

// The changes as a unified diff in git's format (diff --git headers, 3 lines of context), with
// ANSI colours (as git uses them: bold headers, cyan @@, red -, green +) when `colour` is true.
// Control bytes of the contents other than tab and newline are shown escaped (escape_controls),
// so the diff is safe to print on a terminal; the repository keeps the bytes themselves.
std::string unified_diff(const std::vector<FileChange> &changes, bool colour);

} // namespace tasksync
