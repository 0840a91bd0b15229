#include "git/work_tree.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class WorkTreeTest : public ::testing::Test {
protected:
  WorkTreeTest() {
    std::filesystem::create_directories(m_root);
    std::filesystem::create_directories(m_outside);
    test::write_text(m_outside / "task.ts", "outside\n");
  }

  WorkTree open() {
    auto tree = WorkTree::open(m_root);
    EXPECT_TRUE(tree.ok()) << tree.error().message;
    return std::move(tree).value();
  }

  // The names in a directory, temporaries included.
  std::vector<std::string> names(const std::filesystem::path &dir) const {
    std::vector<std::string> found;
    for (const auto &entry : std::filesystem::directory_iterator(dir))
      found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    return found;
  }

  test::TempDir m_dir;
  std::filesystem::path m_root = m_dir / "repo";
  std::filesystem::path m_outside = m_dir / "outside";
};

} // namespace

TEST_F(WorkTreeTest, UpdatesADirectoryAndCreatesItsParents) {
  WorkTree tree = open();
  ASSERT_TRUE(tree.update_directory("tasks/a", {{"task.json", "{}\n"}, {"task.ts", "code\n"}}, {}).ok());
  EXPECT_EQ(test::read_text(m_root / "tasks/a/task.ts"), "code\n");
  ASSERT_TRUE(tree.update_directory("tasks/a", {{"task.js", "js\n"}, {"task.json", "{}\n", false}}, {"task.ts"}).ok());
  EXPECT_EQ(names(m_root / "tasks/a"), (std::vector<std::string>{"task.js", "task.json"}));
  ASSERT_TRUE(tree.update_directory("tasks/a", {}, {"task.js", "task.json"}).ok());
  EXPECT_FALSE(std::filesystem::exists(m_root / "tasks/a"));
}

TEST_F(WorkTreeTest, ADirectoryInTheWayChangesNothing) {
  WorkTree tree = open();
  ASSERT_TRUE(tree.update_directory("tasks/a", {{"task.json", "old\n"}, {"task.ts", "old\n"}}, {}).ok());
  std::filesystem::remove(m_root / "tasks/a/task.ts");
  std::filesystem::create_directory(m_root / "tasks/a/task.ts");
  auto updated = tree.update_directory("tasks/a", {{"task.json", "new\n"}, {"task.ts", "new\n"}}, {});
  ASSERT_FALSE(updated.ok());
  EXPECT_NE(updated.error().message.find("tasks/a/task.ts: a directory is in the way"), std::string::npos)
      << updated.error().message;
  EXPECT_EQ(test::read_text(m_root / "tasks/a/task.json"), "old\n");
  EXPECT_EQ(names(m_root / "tasks/a"), (std::vector<std::string>{"task.json", "task.ts"})) << "no temporary is left";
}

TEST_F(WorkTreeTest, ASymlinkedDirectoryIsReplacedAndEveryFileWritten) {
  WorkTree tree = open();
  std::filesystem::create_directories(m_root / "tasks");
  std::filesystem::create_directory_symlink(m_outside, m_root / "tasks/a");
  // "Unchanged" files are written too: the directory they were in is gone.
  ASSERT_TRUE(tree.update_directory("tasks/a", {{"task.json", "{}\n", false}, {"task.ts", "new\n"}}, {}).ok());
  EXPECT_FALSE(std::filesystem::is_symlink(m_root / "tasks/a"));
  EXPECT_EQ(test::read_text(m_root / "tasks/a/task.json"), "{}\n");
  EXPECT_EQ(test::read_text(m_outside / "task.ts"), "outside\n");
  EXPECT_EQ(names(m_outside), (std::vector<std::string>{"task.ts"}));
}

TEST_F(WorkTreeTest, RemovingNeverFollowsALink) {
  WorkTree tree = open();
  std::filesystem::create_directories(m_root / "tasks/a");
  std::filesystem::create_directory_symlink(m_outside, m_root / "tasks/a/inner");
  std::filesystem::create_symlink(m_outside / "task.ts", m_root / "tasks/a/task.ts");
  ASSERT_TRUE(tree.remove("tasks/a").ok());
  EXPECT_FALSE(std::filesystem::exists(m_root / "tasks/a"));
  EXPECT_EQ(test::read_text(m_outside / "task.ts"), "outside\n");

  std::filesystem::create_directories(m_root / "tasks");
  std::filesystem::create_directory_symlink(m_outside, m_root / "tasks/b");
  ASSERT_TRUE(tree.update_directory("tasks/b", {}, {"task.ts"}).ok()); // a deletion upstream
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(m_root / "tasks/b")));
  EXPECT_EQ(names(m_outside), (std::vector<std::string>{"task.ts"}));
}

TEST_F(WorkTreeTest, WritingReplacesALinkInsteadOfWritingThroughIt) {
  WorkTree tree = open();
  std::filesystem::create_directories(m_root / "tasks/a");
  std::filesystem::create_symlink(m_outside / "task.ts", m_root / "tasks/a/task.ts");
  ASSERT_TRUE(tree.write_file("tasks/a/task.ts", "ours\n").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(m_root / "tasks/a/task.ts")));
  EXPECT_EQ(test::read_text(m_root / "tasks/a/task.ts"), "ours\n");
  EXPECT_EQ(test::read_text(m_outside / "task.ts"), "outside\n");

  std::filesystem::remove_all(m_root / "tasks");
  std::filesystem::create_directory_symlink(m_outside, m_root / "tasks");
  ASSERT_TRUE(tree.write_file("tasks/task.ts", "ours\n").ok());
  EXPECT_EQ(test::read_text(m_outside / "task.ts"), "outside\n");
  EXPECT_FALSE(std::filesystem::is_symlink(m_root / "tasks"));
}

TEST_F(WorkTreeTest, SpecialFilesAreNeverOpened) {
  WorkTree tree = open();
  std::filesystem::create_directories(m_root / "tasks/a");
  ASSERT_EQ(::mkfifo((m_root / "tasks/a/task.ts").c_str(), 0644), 0);
  // Opening a FIFO for reading would wait for a writer forever.
  auto read = tree.read_regular("tasks/a/task.ts");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_FALSE(read->has_value());
  std::filesystem::create_symlink(m_outside / "task.ts", m_root / "tasks/a/link.ts");
  EXPECT_FALSE(tree.read_regular("tasks/a/link.ts")->has_value());
  EXPECT_FALSE(tree.read_regular("tasks/a/absent.ts")->has_value());
  ASSERT_TRUE(tree.update_directory("tasks/a", {{"task.ts", "code\n", false}}, {"link.ts"}).ok());
  EXPECT_EQ(tree.read_regular("tasks/a/task.ts")->value_or(""), "code\n");
  EXPECT_EQ(test::read_text(m_outside / "task.ts"), "outside\n");
}
