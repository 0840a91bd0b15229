#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "render/file_change.hpp"

namespace tasksync {

// The changes as a unified diff in git's format (diff --git headers, 3 lines of context), with
// ANSI colours (as git uses them: bold headers, cyan @@, red -, green +) when `colour` is true.
// Control bytes of the contents other than tab and newline are shown escaped (escape_controls),
// so the diff is safe to print on a terminal; the repository keeps the bytes themselves.
// An error when libgit2 cannot diff a file.
Result<std::string> unified_diff(const std::vector<FileChange> &changes, bool colour);

} // namespace tasksync
