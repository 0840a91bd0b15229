#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "base/git_handles.hpp"

namespace tasksync::test {

// A new git repository at `path` (bare when asked), opened through libgit2 for a test.
inline RepositoryPtr init_repository(const std::filesystem::path &path, bool bare = false) {
  ensure_libgit2();
  git_repository *raw = nullptr;
  EXPECT_EQ(git_repository_init(&raw, path.c_str(), bare ? 1 : 0), 0) << path;
  return RepositoryPtr(raw);
}

} // namespace tasksync::test
