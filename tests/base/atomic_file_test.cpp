#include "base/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.hpp"

using namespace tasksync;

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporaryFile) {
  test::TempDir dir;
  const auto file = dir / "task.ts";
  ASSERT_TRUE(write_file_atomically(file, "first").ok());
  ASSERT_TRUE(write_file_atomically(file, "second").ok());
  EXPECT_EQ(test::read_text(file), "second");
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
}

TEST(AtomicFile, FailureNamesThePathAndKeepsTheOldFile) {
  test::TempDir dir;
  auto result = write_file_atomically(dir / "missing/task.ts", "x");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find((dir / "missing").string()), std::string::npos);
}

TEST(AtomicFile, RemoveIsIdempotent) {
  test::TempDir dir;
  ASSERT_TRUE(write_file_atomically(dir / "f", "x").ok());
  EXPECT_TRUE(remove_file(dir / "f").ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "f"));
  EXPECT_TRUE(remove_file(dir / "f").ok());
}

TEST(AtomicFile, WithoutFsyncTheReplacementIsJustAsAtomic) {
  test::TempDir dir;
  const auto file = dir / "task.ts";
  ASSERT_TRUE(write_file_atomically(file, "first", Durability::page_cache).ok());
  ASSERT_TRUE(write_file_atomically(file, "second", Durability::page_cache).ok());
  EXPECT_EQ(test::read_text(file), "second");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
  EXPECT_TRUE(remove_file(file, Durability::page_cache).ok());
  EXPECT_FALSE(std::filesystem::exists(file));
}
