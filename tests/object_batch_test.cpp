#include "object_batch.hpp"

#include <gtest/gtest.h>

#include "git_handles.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class ObjectBatchTest : public ::testing::Test {
protected:
  ObjectBatchTest() {
    ensure_libgit2();
    git_repository *raw = nullptr;
    EXPECT_EQ(git_repository_init(&raw, path().c_str(), 0), 0);
    m_repo.reset(raw);
  }

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
    if (git_reference_name_to_id(&parent_id, m_repo.get(), "HEAD") == 0) git_commit_lookup(&parent, m_repo.get(), &parent_id);
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
  const auto fsck = test::git(path(), {"fsck", "--strict", "--full", "--no-dangling"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
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
  EXPECT_EQ(batch->bytes(), 4u);
}
