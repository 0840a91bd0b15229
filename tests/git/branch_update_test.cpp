#include "git/branch_update.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "base/git_handles.hpp"
#include "base/log.hpp"
#include "git_repository.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kBranch = "refs/heads/main";

class BranchUpdateTest : public ::testing::Test {
protected:
  BranchUpdateTest() : m_repo(test::init_repository((m_dir / "repo").string())) {
    log::set_sink([this](std::string_view line) { m_log.emplace_back(line); });
  }
  ~BranchUpdateTest() override { log::set_sink({}); }

  // A new root commit (with an empty tree) whose message is `message`.
  git_oid commit(const std::string &message) {
    git_treebuilder *builder = nullptr;
    EXPECT_EQ(git_treebuilder_new(&builder, m_repo.get(), nullptr), 0);
    const TreeBuilderPtr owned_builder(builder);
    git_oid tree_id;
    EXPECT_EQ(git_treebuilder_write(&tree_id, builder), 0);
    git_tree *tree = nullptr;
    EXPECT_EQ(git_tree_lookup(&tree, m_repo.get(), &tree_id), 0);
    const TreePtr owned_tree(tree);
    git_signature *signature = nullptr;
    EXPECT_EQ(git_signature_new(&signature, "Author", "a@example.com", 1795185067, 60), 0);
    const SignaturePtr owned_signature(signature);
    git_oid id;
    EXPECT_EQ(git_commit_create(&id, m_repo.get(), nullptr, signature, signature, nullptr, message.c_str(), tree, 0,
                                nullptr),
              0);
    return id;
  }

  // Where the branch points; nullopt when it does not exist.
  std::optional<git_oid> tip() {
    auto read = read_ref(m_repo.get(), kBranch);
    EXPECT_TRUE(read.ok()) << read.error().message;
    return read.ok() ? *read : std::nullopt;
  }

  static bool same(const std::optional<git_oid> &a, const git_oid &b) { return a && git_oid_equal(&*a, &b); }

  test::TempDir m_dir;
  RepositoryPtr m_repo;
  std::vector<std::string> m_log;
};

} // namespace

TEST_F(BranchUpdateTest, CreatesAMissingBranchButNeverOverwritesOneThatAppeared) {
  const git_oid first = commit("first");
  const git_oid second = commit("second");
  EXPECT_FALSE(tip().has_value());
  ASSERT_TRUE(swap_branch(m_repo.get(), kBranch, std::nullopt, first, "create").ok());
  EXPECT_TRUE(same(tip(), first));

  auto again = swap_branch(m_repo.get(), kBranch, std::nullopt, second, "create again");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().moved_elsewhere);
  EXPECT_TRUE(same(tip(), first));
}

TEST_F(BranchUpdateTest, MovesOnlyFromTheExpectedCommit) {
  const git_oid first = commit("first");
  const git_oid second = commit("second");
  const git_oid third = commit("third");
  ASSERT_TRUE(swap_branch(m_repo.get(), kBranch, std::nullopt, first, "create").ok());

  auto stale = swap_branch(m_repo.get(), kBranch, second, third, "from a stale tip");
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.error().moved_elsewhere);
  EXPECT_FALSE(stale.error().why.empty());
  EXPECT_TRUE(same(tip(), first));

  ASSERT_TRUE(swap_branch(m_repo.get(), kBranch, first, second, "move").ok());
  EXPECT_TRUE(same(tip(), second));
}

TEST_F(BranchUpdateTest, ALockThatOutlivesTheRetriesIsRemovedAsDebrisOfACrash) {
  const git_oid first = commit("first");
  const git_oid second = commit("second");
  ASSERT_TRUE(swap_branch(m_repo.get(), kBranch, std::nullopt, first, "create").ok());
  const std::filesystem::path lock = m_dir / "repo" / ".git" / (kBranch + ".lock");
  std::ofstream(lock) << "held by a process that died\n";

  ASSERT_TRUE(swap_branch(m_repo.get(), kBranch, first, second, "move").ok());
  EXPECT_TRUE(same(tip(), second));
  EXPECT_FALSE(std::filesystem::exists(lock));
  EXPECT_TRUE(std::any_of(m_log.begin(), m_log.end(), [&](const std::string &line) {
    return line.find("removed " + lock.string() + ", left behind by a process that died") != std::string::npos;
  }));
}
