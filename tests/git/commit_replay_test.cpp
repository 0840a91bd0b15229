#include "git/commit_replay.hpp"

#include <gtest/gtest.h>

#include "git_repository.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class CommitReplayTest : public ::testing::Test {
protected:
  CommitReplayTest() : m_repo(test::init_repository(path())) {}

  std::string path() const { return (m_dir / "repo").string(); }

  // A commit on `parent` (none: a root) that sets `file` to `content` (nullopt: removes it).
  git_oid commit(const std::optional<git_oid> &parent, const std::string &file,
                 const std::optional<std::string> &content, const std::string &message) {
    TreePtr base;
    if (parent) base = std::move(commit_tree(m_repo.get(), *parent).value());
    git_tree_update update{GIT_TREE_UPDATE_REMOVE, {}, GIT_FILEMODE_BLOB, file.c_str()};
    if (content) {
      update.action = GIT_TREE_UPDATE_UPSERT;
      EXPECT_EQ(git_blob_create_from_buffer(&update.id, m_repo.get(), content->data(), content->size()), 0);
    }
    git_oid tree_id;
    if (base) {
      EXPECT_EQ(git_tree_create_updated(&tree_id, m_repo.get(), base.get(), 1, &update), 0);
    } else {
      git_treebuilder *builder = nullptr;
      EXPECT_EQ(git_treebuilder_new(&builder, m_repo.get(), nullptr), 0);
      const TreeBuilderPtr owned(builder);
      EXPECT_EQ(git_treebuilder_write(&tree_id, builder), 0);
      git_tree *empty = nullptr;
      EXPECT_EQ(git_tree_lookup(&empty, m_repo.get(), &tree_id), 0);
      const TreePtr owned_empty(empty);
      EXPECT_EQ(git_tree_create_updated(&tree_id, m_repo.get(), empty, 1, &update), 0);
    }
    git_tree *tree = nullptr;
    EXPECT_EQ(git_tree_lookup(&tree, m_repo.get(), &tree_id), 0);
    const TreePtr owned_tree(tree);
    git_signature *signature = nullptr;
    EXPECT_EQ(git_signature_new(&signature, "Author", "a@example.com", 1795185067, 60), 0);
    const SignaturePtr owned_signature(signature);
    git_commit *parent_commit = nullptr;
    if (parent) {
      EXPECT_EQ(git_commit_lookup(&parent_commit, m_repo.get(), &*parent), 0);
    }
    const CommitPtr owned_parent(parent_commit);
    const git_commit *parents[1] = {parent_commit};
    git_oid id;
    EXPECT_EQ(git_commit_create(&id, m_repo.get(), nullptr, signature, signature, nullptr, message.c_str(), tree,
                                parent ? 1 : 0, parents),
              0);
    return id;
  }

  // replay_commit() of `id` on `base`, which must not fail.
  std::optional<git_oid> replay(const git_oid &id, const git_oid &base) {
    auto replayed = replay_commit(m_repo.get(), id, base, {});
    EXPECT_TRUE(replayed.ok()) << replayed.error().message;
    return replayed.ok() ? *replayed : std::nullopt;
  }

  std::string show(const git_oid &id, const std::string &file) {
    return test::git(path(), {"show", std::string(git_oid_tostr_s(&id)) + ":" + file}).out;
  }

  test::TempDir m_dir;
  RepositoryPtr m_repo;
};

} // namespace

TEST_F(CommitReplayTest, ReplaysTheTaskDirectoryOnTopAndKeepsEverythingElse) {
  const git_oid root = commit(std::nullopt, "tasks/a/task.ts", "a1", "a: add version 1");
  const git_oid ours = commit(root, "tasks/a/task.ts", "a2", "a: update to version 2");
  const git_oid theirs = commit(root, "README.md", "hello", "readme");

  const auto replayed = replay(ours, theirs);
  ASSERT_TRUE(replayed.has_value());
  const git_oid id = *replayed;
  EXPECT_EQ(show(id, "tasks/a/task.ts"), "a2");
  EXPECT_EQ(show(id, "README.md"), "hello");
  EXPECT_EQ(test::git(path(), {"log", "-1", "--format=%P|%an|%ad|%B", "--date=raw", git_oid_tostr_s(&id)}).out,
            std::string(git_oid_tostr_s(&theirs)) + "|Author|1795185067 +0100|a: update to version 2\n");

  auto between = commits_between(m_repo.get(), ours, std::nullopt);
  ASSERT_TRUE(between.ok());
  ASSERT_EQ(between->size(), 2u);
  EXPECT_TRUE(git_oid_equal(&(*between)[0], &root)) << "oldest first";
  EXPECT_TRUE(git_oid_equal(&(*between)[1], &ours));
}

TEST_F(CommitReplayTest, ACommitThatChangesNothingThereIsDropped) {
  const git_oid root = commit(std::nullopt, "tasks/a/task.ts", "a1", "a: add version 1");
  const git_oid ours = commit(root, "tasks/a/task.ts", "a2", "a: update to version 2");
  const git_oid same = commit(root, "tasks/a/task.ts", "a2", "someone else's identical update");
  EXPECT_FALSE(replay(ours, same).has_value());
}

TEST_F(CommitReplayTest, ARemovalIsReplayedAsARemoval) {
  const git_oid root = commit(std::nullopt, "tasks/a/task.ts", "a1", "a: add version 1");
  const git_oid removed = commit(root, "tasks/a/task.ts", std::nullopt, "a: delete (deleted upstream)");
  const git_oid theirs = commit(root, "tasks/b/task.ts", "b1", "b: add version 1");
  const auto replayed = replay(removed, theirs);
  ASSERT_TRUE(replayed.has_value());
  EXPECT_EQ(test::git(path(), {"ls-tree", "-r", "--name-only", git_oid_tostr_s(&*replayed)}).out, "tasks/b/task.ts\n");
}

TEST_F(CommitReplayTest, ARunIsReplayedOneOnAnotherWithoutTheCommitsThatChangeNothing) {
  const git_oid root = commit(std::nullopt, "tasks/a/task.ts", "a1", "a: add version 1");
  const git_oid a2 = commit(root, "tasks/a/task.ts", "a2", "a: update to version 2");
  const git_oid b1 = commit(a2, "tasks/b/task.ts", "b1", "b: add version 1");
  const git_oid theirs = commit(root, "tasks/a/task.ts", "a2", "someone else's identical update");

  auto replayed = replay_commits(m_repo.get(), {a2, b1}, theirs, {});
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  ASSERT_EQ(replayed->rebuilt.size(), 2u);
  EXPECT_FALSE(replayed->rebuilt[0].has_value()) << "a2 changes nothing on top of theirs";
  ASSERT_TRUE(replayed->rebuilt[1].has_value());
  EXPECT_TRUE(git_oid_equal(&replayed->tip, &*replayed->rebuilt[1]));
  EXPECT_EQ(replayed->count(), 1u);
  EXPECT_EQ(test::git(path(), {"log", "--format=%s", git_oid_tostr_s(&replayed->tip)}).out,
            "b: add version 1\nsomeone else's identical update\na: add version 1\n");

  auto nothing = replay_commits(m_repo.get(), {}, theirs, {});
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(git_oid_equal(&nothing->tip, &theirs));
  EXPECT_EQ(nothing->count(), 0u);
}

// A commit may be replayed again and again (a push that keeps being rejected): what it became is
// the end of the chain, or nothing once a replay dropped it.
TEST(CurrentId, FollowsReplaysToTheEnd) {
  const ReplacedCommits replaced = {{"a", "b"}, {"b", "c"}, {"d", std::nullopt}, {"e", "d"}};
  EXPECT_EQ(current_id(replaced, "a"), std::optional<std::string>("c"));
  EXPECT_EQ(current_id(replaced, "c"), std::optional<std::string>("c"));
  EXPECT_EQ(current_id(replaced, "d"), std::nullopt);
  EXPECT_EQ(current_id(replaced, "e"), std::nullopt);
  EXPECT_EQ(current_id(replaced, "never-replayed"), std::optional<std::string>("never-replayed"));
}
