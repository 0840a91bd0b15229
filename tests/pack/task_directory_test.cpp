#include "pack/task_directory.hpp"

#include <gtest/gtest.h>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

// The tree id git itself computes for a directory holding `snapshot`'s files.
std::string git_tree_of(const Snapshot &snapshot) {
  test::TempDir dir;
  const std::string repo = (dir / "repo").string();
  EXPECT_EQ(test::run_process({"git", "init", "-q", repo}).exit_code, 0);
  for (const RenderedFile &file : snapshot.files)
    test::write_text(dir / "repo" / file.name, file.content);
  EXPECT_EQ(test::git(repo, {"add", "-A"}).exit_code, 0);
  std::string tree = test::git(repo, {"write-tree"}).out;
  if (!tree.empty() && tree.back() == '\n') tree.pop_back();
  return tree;
}

TEST(TaskDirectoryTest, IsTheTreeIdGitGivesTheSameFiles) {
  const Snapshot snapshot{{{"task.json", "{\n  \"version\": \"3\"\n}\n"}, {"task.ts", "export default 1;\n"}}};
  const git_oid id = directory_id(snapshot);
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_fmt(hex, &id); // not git_oid_tostr_s: its buffer is libgit2's, and libgit2 is not initialised here
  EXPECT_EQ(hex, git_tree_of(snapshot));
}

TEST(TaskDirectoryTest, ChangesWithAnyByteOfAnyFile) {
  const Snapshot before{{{"task.json", "{}\n"}, {"task.ts", "a\n"}}};
  const Snapshot after{{{"task.json", "{}\n"}, {"task.ts", "b\n"}}};
  const git_oid a = directory_id(before);
  const git_oid b = directory_id(after);
  EXPECT_FALSE(git_oid_equal(&a, &b));
}

} // namespace
