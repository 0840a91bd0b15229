#pragma once

// The one check, shared by every test, that a repository tasksync wrote is sound, asked of the
// `git` command (docs/development.md: the tests use git only to check what libgit2 wrote).
#include <gtest/gtest.h>

#include <filesystem>

namespace tasksync::test {

// `git fsck --strict` finds `repo` (bare or not) sound: every object and ref readable and valid.
// Use as EXPECT_TRUE(test::fsck_clean(repo)); a failure shows what fsck said.
::testing::AssertionResult fsck_clean(const std::filesystem::path &repo);

// `repo` is consistent: fsck is clean, HEAD, the index and the work tree agree (`git status
// --porcelain --untracked-files=all` prints nothing), and no index or branch lock is left behind.
// Use as EXPECT_TRUE(test::repository_consistent(repo)).
::testing::AssertionResult repository_consistent(const std::filesystem::path &repo);

} // namespace tasksync::test
