#include "pack/tasks_tree.hpp"

#include <gtest/gtest.h>

#include <random>

#include "base/git_handles.hpp"
#include "git_repository.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class TasksTreeTest : public ::testing::Test {
protected:
  TasksTreeTest() : m_repo(test::init_repository(m_dir / "repo", true)) {}

  // What libgit2 writes for the same entries: the reference for bytes and order.
  std::string libgit2_raw(git_treebuilder *builder) {
    git_oid id;
    EXPECT_EQ(git_treebuilder_write(&id, builder), 0);
    git_odb *odb = nullptr;
    EXPECT_EQ(git_repository_odb(&odb, m_repo.get()), 0);
    const OdbPtr owned(odb);
    git_odb_object *object = nullptr;
    EXPECT_EQ(git_odb_read(&object, odb, &id), 0);
    std::string raw(static_cast<const char *>(git_odb_object_data(object)), git_odb_object_size(object));
    git_odb_object_free(object);
    return raw;
  }

  test::TempDir m_dir;
  RepositoryPtr m_repo;
};

git_oid some_id(int seed) {
  git_oid id{};
  for (std::size_t i = 0; i < GIT_OID_RAWSZ; ++i)
    id.id[i] = static_cast<unsigned char>(seed * 31 + static_cast<int>(i));
  return id;
}

bool same(const git_oid &a, const git_oid &b) { return git_oid_equal(&a, &b); }

} // namespace

TEST_F(TasksTreeTest, EditsGiveTheBytesAndIdLibgit2Writes) {
  // Names that sort differently as directories ("x/") and files ("x"), next to '-' and '.'.
  const std::vector<std::string> names = {
      "a",        "a-b",          "a.b",       "a0", "ab", "b", "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "3c90c3cc", "3c90c3cc.txt", "README.md", "z"};
  auto tree = TasksTree::parse("");
  ASSERT_TRUE(tree.ok());
  git_treebuilder *raw = nullptr;
  ASSERT_EQ(git_treebuilder_new(&raw, m_repo.get(), nullptr), 0);
  const TreeBuilderPtr builder(raw);
  std::mt19937 random(7);
  // The ids name no real objects: let libgit2 insert them anyway.
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
  struct Restore {
    ~Restore() { git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1); }
  } restore;
  for (int step = 0; step < 400; ++step) {
    const std::string &name = names[random() % names.size()];
    if (random() % 4 == 0) {
      tree->remove(name);
      git_treebuilder_remove(builder.get(), name.c_str()); // fails when absent, like ours does nothing
    } else {
      const git_filemode_t mode = random() % 2 ? GIT_FILEMODE_TREE : GIT_FILEMODE_BLOB;
      const git_oid id = some_id(step);
      tree->set(name, mode, id);
      ASSERT_EQ(git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &id, mode), 0);
    }
    const std::string expected = libgit2_raw(builder.get());
    ASSERT_EQ(tree->raw(), expected) << "step " << step;
    ASSERT_EQ(tree->size(), git_treebuilder_entrycount(builder.get()));
    git_oid expected_id;
    ASSERT_EQ(git_odb_hash(&expected_id, expected.data(), expected.size(), GIT_OBJECT_TREE), 0);
    ASSERT_TRUE(same(tree->id(), expected_id)) << "step " << step;
  }
}

TEST_F(TasksTreeTest, FindsEntriesOfEitherKindByName) {
  auto tree = TasksTree::parse("");
  ASSERT_TRUE(tree.ok());
  tree->set("task", GIT_FILEMODE_TREE, some_id(1));
  tree->set("task-2", GIT_FILEMODE_BLOB, some_id(2));
  tree->set("task.txt", GIT_FILEMODE_BLOB, some_id(3));
  const auto directory = tree->find("task");
  ASSERT_TRUE(directory.has_value());
  EXPECT_EQ(directory->mode, GIT_FILEMODE_TREE);
  EXPECT_TRUE(same(directory->id, some_id(1)));
  const auto file = tree->find("task-2");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->mode, GIT_FILEMODE_BLOB);
  EXPECT_FALSE(tree->find("tas").has_value());
  EXPECT_FALSE(tree->find("task-").has_value());
  // Replacing a file by a directory of the same name leaves one entry.
  tree->set("task-2", GIT_FILEMODE_TREE, some_id(4));
  EXPECT_EQ(tree->size(), 3u);
  EXPECT_EQ(tree->find("task-2")->mode, GIT_FILEMODE_TREE);

  auto reparsed = TasksTree::parse(tree->raw());
  ASSERT_TRUE(reparsed.ok());
  EXPECT_TRUE(same(reparsed->find("task.txt")->id, some_id(3)));
}

TEST_F(TasksTreeTest, RejectsATruncatedTree) {
  const auto tree = TasksTree::parse(std::string("40000 task\0abc", 14));
  ASSERT_FALSE(tree.ok());
  EXPECT_NE(tree.error().message.find("malformed tree entry at byte 0"), std::string::npos);
}
