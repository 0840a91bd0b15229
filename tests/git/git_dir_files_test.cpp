#include "git/git_dir_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/log.hpp"
#include "git_repository.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kTaskFile = "tasks/3c90c3cc-0d44-4b50-8888-8dd25736052a/task.ts";

class GitDirFilesTest : public ::testing::Test {
protected:
  GitDirFilesTest() : m_repo(test::init_repository(m_dir / "repo")) {
    log::set_sink([this](std::string_view line) { m_log.emplace_back(line); });
  }
  ~GitDirFilesTest() override { log::set_sink({}); }

  // What `git check-attr` says of `attribute` for `path` in the repository.
  std::string attribute(const std::string &attribute, const std::string &path) {
    return test::git((m_dir / "repo").string(), {"check-attr", attribute, "--", path}).out;
  }

  test::TempDir m_dir;
  RepositoryPtr m_repo;
  std::filesystem::path m_git_dir = m_dir / "repo/.git";
  std::filesystem::path m_attributes = m_git_dir / "info/attributes";
  std::filesystem::path m_outside = m_dir / "outside";
  std::vector<std::string> m_log;
};

} // namespace

TEST_F(GitDirFilesTest, TaskAttributesOutrankAGitattributesAndKeepAPersonsLines) {
  test::write_text(m_dir / "repo/.gitattributes", "*.ts text eol=crlf filter=lfs ident\n");
  test::write_text(m_attributes, "*.png binary"); // a person's line, without its line break
  ASSERT_TRUE(ensure_task_attributes(m_git_dir).ok());

  EXPECT_EQ(test::read_text(m_attributes).rfind("*.png binary\n# Added by tasksync", 0), 0u)
      << test::read_text(m_attributes);
  EXPECT_EQ(attribute("text", kTaskFile), kTaskFile + ": text: unset\n");
  EXPECT_EQ(attribute("filter", kTaskFile), kTaskFile + ": filter: unset\n");
  EXPECT_EQ(attribute("ident", kTaskFile), kTaskFile + ": ident: unset\n");
  EXPECT_EQ(attribute("eol", kTaskFile), kTaskFile + ": eol: crlf\n") << "eol is ignored once text is unset";
  EXPECT_EQ(attribute("text", "tasks/docs/README.ts"), "tasks/docs/README.ts: text: set\n") << "not a task directory";
  EXPECT_EQ(attribute("text", "src/main.ts"), "src/main.ts: text: set\n");
}

TEST_F(GitDirFilesTest, TaskAttributesPresentAlreadyWriteNothing) {
  ASSERT_TRUE(ensure_task_attributes(m_git_dir).ok());
  struct stat before {};
  ASSERT_EQ(::stat(m_attributes.c_str(), &before), 0);
  const std::string content = test::read_text(m_attributes);
  ASSERT_TRUE(ensure_task_attributes(m_git_dir).ok());
  struct stat after {};
  ASSERT_EQ(::stat(m_attributes.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "rewritten";
  EXPECT_EQ(test::read_text(m_attributes), content);
}

TEST_F(GitDirFilesTest, ASymlinkAtTheAttributesIsRefusedNeverFollowed) {
  std::filesystem::remove(m_attributes);
  std::filesystem::create_directories(m_attributes.parent_path());
  std::filesystem::create_symlink(m_outside / "attributes", m_attributes);
  auto ensured = ensure_task_attributes(m_git_dir);
  ASSERT_FALSE(ensured.ok());
  EXPECT_NE(ensured.error().message.find(m_attributes.string() + " is a symlink, not a regular file"),
            std::string::npos)
      << ensured.error().message;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(m_outside / "attributes")));
  EXPECT_TRUE(std::filesystem::is_symlink(m_attributes)) << "a person's link is not taken away";
}

TEST_F(GitDirFilesTest, SymlinksWhereLibgit2AppendsAReflogAreRemovedNeverFollowed) {
  std::filesystem::create_directories(m_outside / "heads");
  test::write_text(m_outside / "heads/keep", "another owner's file\n");
  std::filesystem::create_directories(m_git_dir / "logs/refs");
  std::filesystem::create_symlink(m_outside / "HEAD", m_git_dir / "logs/HEAD");                  // dangling
  std::filesystem::create_directory_symlink(m_outside / "heads", m_git_dir / "logs/refs/heads"); // a directory

  clear_reflog_paths(m_repo.get(), "refs/heads/main");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(m_git_dir / "logs/HEAD")));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(m_git_dir / "logs/refs/heads")));
  EXPECT_EQ(test::read_text(m_outside / "heads/keep"), "another owner's file\n");
  ASSERT_EQ(m_log.size(), 2u);
  EXPECT_NE(m_log[0].find("removing " + (m_git_dir / "logs/HEAD").string() + " (a symlink)"), std::string::npos)
      << m_log[0];
}

TEST_F(GitDirFilesTest, RealReflogsAreLeftAsTheyAre) {
  test::write_text(m_git_dir / "logs/HEAD", "a reflog\n");
  test::write_text(m_git_dir / "logs/refs/heads/main", "a reflog\n");
  clear_reflog_paths(m_repo.get(), "refs/heads/main");
  EXPECT_EQ(test::read_text(m_git_dir / "logs/HEAD"), "a reflog\n");
  EXPECT_EQ(test::read_text(m_git_dir / "logs/refs/heads/main"), "a reflog\n");
  EXPECT_TRUE(m_log.empty());
}
