#include "pack/object_batch.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/git_handles.hpp"
#include "git_repository.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class ObjectBatchTest : public ::testing::Test {
protected:
  ObjectBatchTest() : m_repo(test::init_repository(path())) {}

  std::string path() const { return (m_dir / "repo").string(); }

  // Commits one file on top of HEAD, moving HEAD, through `m_repo`.
  git_oid commit(const std::string &content) {
    git_oid blob;
    EXPECT_EQ(git_blob_create_from_buffer(&blob, m_repo.get(), content.data(), content.size()), 0);
    git_treebuilder *builder_raw = nullptr;
    EXPECT_EQ(git_treebuilder_new(&builder_raw, m_repo.get(), nullptr), 0);
    const TreeBuilderPtr builder(builder_raw);
    EXPECT_EQ(git_treebuilder_insert(nullptr, builder.get(), "file.txt", &blob, GIT_FILEMODE_BLOB), 0);
    git_oid tree_id;
    EXPECT_EQ(git_treebuilder_write(&tree_id, builder.get()), 0);
    git_tree *tree = nullptr;
    EXPECT_EQ(git_tree_lookup(&tree, m_repo.get(), &tree_id), 0);
    const TreePtr owned_tree(tree);
    git_signature *signature = nullptr;
    EXPECT_EQ(git_signature_new(&signature, "T", "t@example.com", 1795185067, 0), 0);
    const SignaturePtr owned_signature(signature);
    git_oid parent_id;
    git_commit *parent = nullptr;
    if (git_reference_name_to_id(&parent_id, m_repo.get(), "HEAD") == 0)
      git_commit_lookup(&parent, m_repo.get(), &parent_id);
    const CommitPtr owned_parent(parent);
    const git_commit *parents[1] = {parent};
    git_oid id;
    EXPECT_EQ(git_commit_create(&id, m_repo.get(), "HEAD", signature, signature, nullptr, content.c_str(), tree,
                                parent ? 1 : 0, parents),
              0);
    return id;
  }

  std::size_t packs() const {
    std::size_t count = 0;
    for (const auto &entry : std::filesystem::directory_iterator(m_dir / "repo/.git/objects/pack")) {
      count += entry.path().extension() == ".pack";
    }
    return count;
  }

  test::TempDir m_dir;
  RepositoryPtr m_repo;
};

} // namespace

TEST_F(ObjectBatchTest, HoldsNewObjectsInMemoryThenWritesThemAsOnePack) {
  auto batch = ObjectBatch::attach(m_repo.get());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  commit("one\n");
  commit("two\n");
  const git_oid tip = commit("three\n");
  EXPECT_EQ(batch->size(), 9u) << "a blob, a tree and a commit each";
  EXPECT_GT(batch->bytes(), 0u);
  // Readable through the same handle, but nothing on disk: git itself cannot find the tip.
  git_commit *read = nullptr;
  ASSERT_EQ(git_commit_lookup(&read, m_repo.get(), &tip), 0);
  git_commit_free(read);
  EXPECT_NE(test::git(path(), {"cat-file", "-e", git_oid_tostr_s(&tip)}).exit_code, 0);
  EXPECT_EQ(test::git(path(), {"count-objects"}).out.substr(0, 10), "0 objects,");

  const std::size_t packs_before = packs();
  ASSERT_TRUE(batch->write_pack().ok());
  EXPECT_EQ(packs(), packs_before + 1);
  EXPECT_EQ(batch->size(), 0u);
  EXPECT_EQ(batch->bytes(), 0u);
  EXPECT_EQ(test::git(path(), {"count-objects"}).out.substr(0, 10), "0 objects,") << "nothing loose";
  EXPECT_EQ(test::git(path(), {"rev-list", "--count", "HEAD"}).out, "3\n");
  EXPECT_TRUE(test::fsck_clean(path()));
  // Still readable through the handle, now from the pack.
  ASSERT_EQ(git_commit_lookup(&read, m_repo.get(), &tip), 0);
  git_commit_free(read);
}

TEST_F(ObjectBatchTest, AnEmptyBatchWritesNoPack) {
  auto batch = ObjectBatch::attach(m_repo.get());
  ASSERT_TRUE(batch.ok());
  const std::size_t packs_before = packs();
  ASSERT_TRUE(batch->write_pack().ok());
  EXPECT_EQ(packs(), packs_before);
}

TEST_F(ObjectBatchTest, DiscardDropsWhatWasNeverWritten) {
  auto batch = ObjectBatch::attach(m_repo.get());
  ASSERT_TRUE(batch.ok());
  git_oid blob;
  ASSERT_EQ(git_blob_create_from_buffer(&blob, m_repo.get(), "gone", 4), 0);
  EXPECT_EQ(batch->size(), 1u);
  batch->discard();
  EXPECT_EQ(batch->size(), 0u);
  git_blob *read = nullptr;
  EXPECT_EQ(git_blob_lookup(&read, m_repo.get(), &blob), GIT_ENOTFOUND);
}

TEST_F(ObjectBatchTest, AnObjectAlreadyStoredIsNotHeldAgain) {
  commit("kept\n");
  auto batch = ObjectBatch::attach(m_repo.get());
  ASSERT_TRUE(batch.ok());
  git_oid blob;
  ASSERT_EQ(git_blob_create_from_buffer(&blob, m_repo.get(), "kept\n", 5), 0); // loose already
  EXPECT_EQ(batch->size(), 0u);
  ASSERT_EQ(git_blob_create_from_buffer(&blob, m_repo.get(), "new\n", 4), 0);
  ASSERT_EQ(git_blob_create_from_buffer(&blob, m_repo.get(), "new\n", 4), 0);
  EXPECT_EQ(batch->size(), 1u);
}

TEST_F(ObjectBatchTest, BigTreesAreStoredAsShortDeltaChainsAndReadBack) {
  auto batch = ObjectBatch::attach(m_repo.get());
  ASSERT_TRUE(batch.ok());
  git_oid blob;
  ASSERT_EQ(git_blob_create_from_buffer(&blob, m_repo.get(), "x", 1), 0);
  git_treebuilder *raw = nullptr;
  ASSERT_EQ(git_treebuilder_new(&raw, m_repo.get(), nullptr), 0);
  const TreeBuilderPtr builder(raw);
  // 200 entries (~8 KB), then 120 trees that each add one entry somewhere in the middle.
  std::vector<git_oid> trees;
  for (int i = 0; i < 320; ++i) {
    const std::string name = "task-" + std::to_string((i * 7919) % 1000);
    ASSERT_EQ(git_treebuilder_insert(nullptr, builder.get(), name.c_str(), &blob, GIT_FILEMODE_BLOB), 0);
    if (i < 199) continue;
    git_oid id;
    ASSERT_EQ(git_treebuilder_write(&id, builder.get()), 0);
    trees.push_back(id);
  }
  ASSERT_EQ(trees.size(), 121u);
  const auto entries = [&](const git_oid &id) {
    git_tree *tree = nullptr;
    EXPECT_EQ(git_tree_lookup(&tree, m_repo.get(), &id), 0);
    const TreePtr owned(tree);
    return tree ? git_tree_entrycount(tree) : 0;
  };
  // Long out of the recently-written objects: read back through its chain of deltas.
  git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
  EXPECT_EQ(entries(trees[30]), 230u);
  git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1);
  const std::size_t bytes = batch->bytes();
  EXPECT_LT(bytes, 50'000u) << "121 trees of ~10 KB each, stored whole, would take over 1 MB";
  ASSERT_TRUE(batch->write_pack().ok());

  EXPECT_TRUE(test::fsck_clean(path()));
  for (std::size_t i = 0; i < trees.size(); i += 20) {
    const std::string listing = test::git(path(), {"ls-tree", git_oid_tostr_s(&trees[i])}).out;
    EXPECT_EQ(static_cast<std::size_t>(std::count(listing.begin(), listing.end(), '\n')), 200 + i) << i;
  }
  // git's own reading of the pack: one chain through every tree but the first.
  std::string pack;
  for (const auto &entry : std::filesystem::directory_iterator(m_dir / "repo/.git/objects/pack")) {
    if (entry.path().extension() == ".idx") pack = entry.path().string();
  }
  const auto verified = test::git(path(), {"verify-pack", "-v", pack});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  int deepest = 0;
  for (std::size_t at = verified.out.find("chain length = "); at != std::string::npos;
       at = verified.out.find("chain length = ", at + 1)) {
    deepest = std::max(deepest, std::stoi(verified.out.substr(at + 15)));
  }
  EXPECT_EQ(deepest, 120);
}

TEST_F(ObjectBatchTest, AnUnfinishedPackOfADeadProcessIsRemoved) {
  commit("packed\n");
  const auto pack_dir = m_dir / "repo/.git/objects/pack";
  std::filesystem::create_directories(pack_dir);
  test::write_text(pack_dir / ".tasksync-incoming-Ab12Cd", "PACK, cut short by a crash");
  test::write_text(pack_dir / "tmp_pack_someone_else", "another tool's");
  ObjectBatch::remove_leftovers(m_repo.get());
  EXPECT_FALSE(std::filesystem::exists(pack_dir / ".tasksync-incoming-Ab12Cd"));
  EXPECT_TRUE(std::filesystem::exists(pack_dir / "tmp_pack_someone_else"));
  EXPECT_EQ(test::git(path(), {"rev-list", "--count", "HEAD"}).out, "1\n");
}

TEST_F(ObjectBatchTest, DiscardRemovesTheUnfinishedPack) {
  auto batch = ObjectBatch::attach(m_repo.get());
  ASSERT_TRUE(batch.ok());
  commit("never recorded\n");
  const auto pack_dir = m_dir / "repo/.git/objects/pack";
  const auto unfinished = [&] {
    std::size_t count = 0;
    for (const auto &entry : std::filesystem::directory_iterator(pack_dir)) {
      count += entry.path().filename().string().starts_with(".tasksync-incoming-");
    }
    return count;
  };
  EXPECT_EQ(unfinished(), 1u);
  batch->discard();
  EXPECT_EQ(unfinished(), 0u);
}
