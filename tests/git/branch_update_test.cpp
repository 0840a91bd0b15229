#include "git/branch_update.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "base/git_handles.hpp"
#include "base/log.hpp"
#include "git_repository.hpp"
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

  // An object for the branch to point at: swap_branch() compares ids only, so a blob will do.
  git_oid object(const std::string &content) {
    git_oid id;
    EXPECT_EQ(git_blob_create_from_buffer(&id, m_repo.get(), content.data(), content.size()), 0);
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
  const git_oid first = object("first");
  const git_oid second = object("second");
  EXPECT_FALSE(tip().has_value());
  ASSERT_TRUE(swap_branch(m_repo.get(), kBranch, std::nullopt, first, "create").ok());
  EXPECT_TRUE(same(tip(), first));

  auto again = swap_branch(m_repo.get(), kBranch, std::nullopt, second, "create again");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().moved_elsewhere);
  EXPECT_TRUE(same(tip(), first));
}

TEST_F(BranchUpdateTest, MovesOnlyFromTheExpectedTip) {
  const git_oid first = object("first");
  const git_oid second = object("second");
  const git_oid third = object("third");
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
  const git_oid first = object("first");
  const git_oid second = object("second");
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
