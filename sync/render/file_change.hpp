#pragma once

#include <optional>
#include <string>

namespace tasksync {

// One file's change: the content before (nullopt: file added) and after (nullopt: removed).
struct FileChange {
  std::string path;
  std::optional<std::string> before;
  std::optional<std::string> after;
};

} // namespace tasksync
