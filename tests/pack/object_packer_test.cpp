#include "pack/object_packer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/git_handles.hpp"
#include "git_repository.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

std::string count_objects(const std::string &repo, const std::string &key) {
  const std::string text = test::git(repo, {"count-objects", "-v"}).out;
  const auto at = text.find(key + ": ");
  return at == std::string::npos ? "" : text.substr(at + key.size() + 2, text.find('\n', at) - at - key.size() - 2);
}

// A fresh repository whose history is made with plain libgit2, so that every object starts loose.
class TestRepo {
public:
  TestRepo() : m_repo(test::init_repository(path())) {
    git_treebuilder *tree = nullptr;
    EXPECT_EQ(git_treebuilder_new(&tree, m_repo.get(), nullptr), 0);
    m_tree.reset(tree);
  }

  git_repository *get() const { return m_repo.get(); }
  std::string path() const { return (m_dir / "repo").string(); }
  std::filesystem::path pack_dir() const { return m_dir / "repo" / ".git" / "objects" / "pack"; }
  // Every object committed so far.
  const std::vector<git_oid> &objects() const { return m_objects; }

  // Commits `count` new files on HEAD, one commit each: a blob, a tree and a commit, all loose.
  void commit(int count) {
    for (int i = 0; i < count; ++i) {
      const std::string n = std::to_string(++m_files);
      const std::string name = "task-" + n + ".json", content = "{\"n\": " + n + "}\n";
      git_oid blob, tree, commit;
      ASSERT_EQ(git_blob_create_from_buffer(&blob, get(), content.data(), content.size()), 0);
      ASSERT_EQ(git_treebuilder_insert(nullptr, m_tree.get(), name.c_str(), &blob, GIT_FILEMODE_BLOB), 0);
      ASSERT_EQ(git_treebuilder_write(&tree, m_tree.get()), 0);
      git_tree *tree_raw = nullptr;
      ASSERT_EQ(git_tree_lookup(&tree_raw, get(), &tree), 0);
      const TreePtr tree_object(tree_raw);
      git_commit *parent_raw = nullptr;
      if (m_head) {
        ASSERT_EQ(git_commit_lookup(&parent_raw, get(), &*m_head), 0);
      }
      const CommitPtr parent(parent_raw);
      const git_commit *parents[] = {parent.get()};
      git_signature *signature_raw = nullptr;
      ASSERT_EQ(git_signature_new(&signature_raw, "Test", "test@example.invalid", 1795185067 + m_files, 0), 0);
      const SignaturePtr signature(signature_raw);
      ASSERT_EQ(git_commit_create(&commit, get(), "HEAD", signature.get(), signature.get(), nullptr,
                                  ("Add " + name + "\n").c_str(), tree_object.get(), parent ? 1 : 0, parents),
                0);
      m_objects.insert(m_objects.end(), {blob, tree, commit});
      m_head = commit;
    }
  }

private:
  test::TempDir m_dir;
  RepositoryPtr m_repo;
  TreeBuilderPtr m_tree;
  std::optional<git_oid> m_head;
  std::vector<git_oid> m_objects;
  int m_files = 0;
};

// The names of the files in `dir`; with an `extension`, only of those ending in it.
std::set<std::string> file_names(const std::filesystem::path &dir, const std::string &extension = "") {
  std::set<std::string> names;
  for (const auto &file : std::filesystem::directory_iterator(dir)) {
    if (extension.empty() || file.path().extension() == extension) names.insert(file.path().filename().string());
  }
  return names;
}

// Commits `commits` files and packs them; returns the name of the new pack.
std::string commit_and_pack(TestRepo &repo, int commits) {
  const auto before = file_names(repo.pack_dir(), ".pack");
  repo.commit(commits);
  auto packed = pack_loose_objects(repo.get());
  EXPECT_TRUE(packed.ok() && *packed == 3 * static_cast<std::size_t>(commits));
  const auto after = file_names(repo.pack_dir(), ".pack");
  std::vector<std::string> added;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
  EXPECT_EQ(added.size(), 1u);
  return added.empty() ? "" : added.front();
}

// Every object of `repo` can be read, through `repo` and through a new reader; git finds the
// repository sound, with every object in a pack once and nothing left over.
void expect_intact(const TestRepo &repo) {
  git_repository *raw = nullptr;
  ASSERT_EQ(git_repository_open(&raw, repo.path().c_str()), 0);
  const RepositoryPtr reader(raw);
  for (git_repository *handle : {repo.get(), reader.get()}) {
    for (const auto &id : repo.objects()) {
      git_object *object = nullptr;
      EXPECT_EQ(git_object_lookup(&object, handle, &id, GIT_OBJECT_ANY), 0) << git_oid_tostr_s(&id);
      const ObjectPtr owned(object);
    }
  }
  EXPECT_TRUE(test::fsck_clean(repo.path()));
  EXPECT_EQ(count_objects(repo.path(), "in-pack"), std::to_string(repo.objects().size()));
  EXPECT_EQ(count_objects(repo.path(), "count"), "0");
  EXPECT_EQ(count_objects(repo.path(), "garbage"), "0");
}

} // namespace

TEST(ObjectPacker, PacksEveryLooseObjectAndLosesNone) {
  TestRepo repo;
  repo.commit(60);
  const int loose_before = std::stoi(count_objects(repo.path(), "count"));
  EXPECT_EQ(loose_before, 60 * 3);

  EXPECT_GT(estimate_loose_objects(repo.get()), 0u);
  auto packed = pack_loose_objects(repo.get());
  ASSERT_TRUE(packed.ok()) << packed.error().message;
  EXPECT_EQ(static_cast<int>(*packed), loose_before);

  EXPECT_EQ(count_objects(repo.path(), "count"), "0");
  EXPECT_EQ(count_objects(repo.path(), "in-pack"), std::to_string(loose_before));
  EXPECT_EQ(estimate_loose_objects(repo.get()), 0u);
  EXPECT_TRUE(test::fsck_clean(repo.path()));
  EXPECT_EQ(test::git(repo.path(), {"rev-list", "--count", "HEAD"}).out, "60\n");

  // History goes on on top of packed objects.
  repo.commit(1);
  EXPECT_EQ(pack_loose_objects(repo.get()).value(), 3u) << "a blob, a tree, a commit";
  EXPECT_EQ(test::git(repo.path(), {"rev-list", "--count", "HEAD"}).out, "61\n");
}

TEST(ObjectPacker, MergesTwentyPacksIntoAtMostEight) {
  TestRepo repo;
  for (int i = 0; i < 20; ++i)
    commit_and_pack(repo, 3);
  ASSERT_EQ(file_names(repo.pack_dir(), ".pack").size(), 20u);

  auto merged = consolidate_packs(repo.get(), 8);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(*merged, 20u) << "of equal packs, none holds twice the smaller ones together";
  EXPECT_EQ(file_names(repo.pack_dir(), ".pack").size(), 1u);
  EXPECT_EQ(file_names(repo.pack_dir(), ".idx").size(), 1u);
  expect_intact(repo);
  EXPECT_EQ(consolidate_packs(repo.get(), 8).value(), 0u);
}

TEST(ObjectPacker, MergesTheSmallPacksAndLeavesTheLargeOneAlone) {
  TestRepo repo;
  const std::string large = commit_and_pack(repo, 200);
  const auto large_written = std::filesystem::last_write_time(repo.pack_dir() / large);
  for (int i = 0; i < 4; ++i)
    commit_and_pack(repo, 2);

  auto merged = consolidate_packs(repo.get(), 4);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(*merged, 4u) << "past the limit of 4, the geometric rule merges all the small ones";
  const auto packs = file_names(repo.pack_dir(), ".pack");
  EXPECT_EQ(packs.size(), 2u);
  EXPECT_EQ(packs.count(large), 1u);
  EXPECT_EQ(std::filesystem::last_write_time(repo.pack_dir() / large), large_written);
  expect_intact(repo);
}

TEST(ObjectPacker, MergesTheSmallestOfAProgressionPastTheLimit) {
  TestRepo repo;
  std::string largest;
  for (const int commits : {1, 3, 9, 27})
    largest = commit_and_pack(repo, commits); // 3, 9, 27, 81 objects

  auto merged = consolidate_packs(repo.get(), 2);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(*merged, 3u);
  const auto packs = file_names(repo.pack_dir(), ".pack");
  EXPECT_EQ(packs.size(), 2u);
  EXPECT_EQ(packs.count(largest), 1u);
  expect_intact(repo);
}

TEST(ObjectPacker, ChangesNothingUpToTheLimit) {
  TestRepo repo;
  for (int i = 0; i < 3; ++i)
    commit_and_pack(repo, 2);
  const auto before = file_names(repo.pack_dir());
  const auto all_before = test::git(repo.path(), {"count-objects", "-v"}).out;

  EXPECT_EQ(consolidate_packs(repo.get(), 3).value(), 0u);
  EXPECT_EQ(consolidate_packs(repo.get(), 10).value(), 0u);
  EXPECT_EQ(file_names(repo.pack_dir()), before);
  EXPECT_EQ(test::git(repo.path(), {"count-objects", "-v"}).out, all_before);
}

TEST(ObjectPacker, NeverMergesAKeptPack) {
  TestRepo repo;
  const std::string kept = commit_and_pack(repo, 2);
  test::write_text(repo.pack_dir() / std::filesystem::path(kept).replace_extension(".keep"), "");
  for (int i = 0; i < 4; ++i)
    commit_and_pack(repo, 2);

  auto merged = consolidate_packs(repo.get(), 2);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(*merged, 4u);
  for (const char *extension : {".pack", ".idx", ".keep"}) {
    EXPECT_TRUE(std::filesystem::exists(repo.pack_dir() / std::filesystem::path(kept).replace_extension(extension)))
        << extension;
  }
  EXPECT_EQ(file_names(repo.pack_dir(), ".pack").size(), 2u);
  expect_intact(repo);
  EXPECT_EQ(consolidate_packs(repo.get(), 1).value(), 0u) << "the kept pack does not count";
}
