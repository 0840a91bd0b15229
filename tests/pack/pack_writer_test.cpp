#include "pack/pack_writer.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/git_handles.hpp"
#include "git_repository.hpp"
#include "pack/object_id.hpp"
#include "pack/tasks_tree.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class PackWriterTest : public ::testing::Test {
protected:
  PackWriterTest() { test::init_repository(repo()); }

  std::string repo() const { return (m_dir / "repo").string(); }
  std::filesystem::path pack_dir() const { return m_dir / "repo/.git/objects/pack"; }

  std::vector<std::filesystem::path> files(const std::string &prefix) const {
    std::vector<std::filesystem::path> found;
    for (const auto &entry : std::filesystem::directory_iterator(pack_dir())) {
      if (entry.path().filename().string().starts_with(prefix)) found.push_back(entry.path());
    }
    return found;
  }

  test::TempDir m_dir;
};

// A blob and 150 trees, each one entry bigger than the one before, as an import makes them.
struct History {
  git_oid blob;
  std::string blob_data = "// a task\n";
  std::vector<std::pair<git_oid, std::string>> trees;
};

History history() {
  History made;
  made.blob = object_id(GIT_OBJECT_BLOB, made.blob_data);
  TasksTree tree = std::move(TasksTree::parse("").value());
  for (int i = 0; i < 150; ++i) {
    tree.set("task-" + std::to_string((i * 7919) % 1000), GIT_FILEMODE_BLOB, made.blob);
    made.trees.emplace_back(tree.id(), tree.raw());
  }
  return made;
}

} // namespace

TEST_F(PackWriterTest, WritesAPackAndIndexThatGitReads) {
  const History made = history();
  PackWriter writer(pack_dir());
  ASSERT_TRUE(writer.add(made.blob, made.blob_data, GIT_OBJECT_BLOB).ok());
  for (const auto &[id, raw] : made.trees)
    ASSERT_TRUE(writer.add(id, raw, GIT_OBJECT_TREE).ok());
  ASSERT_TRUE(writer.add(made.blob, made.blob_data, GIT_OBJECT_BLOB).ok()); // once is enough
  EXPECT_EQ(writer.objects(), 151u);
  EXPECT_EQ(files(".tasksync-incoming-").size(), 1u);
  const auto header = writer.header(made.trees[10].first);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->type, GIT_OBJECT_TREE);
  EXPECT_EQ(header->size, made.trees[10].second.size());
  EXPECT_FALSE(writer.header(object_id(GIT_OBJECT_BLOB, "absent")).has_value());
  // 150 trees of up to 6 KB stored whole would take over 400 KB.
  EXPECT_LT(writer.bytes(), 60'000u);

  auto index = writer.finish();
  ASSERT_TRUE(index.ok()) << index.error().message;
  writer.discard();
  EXPECT_TRUE(files(".tasksync-incoming-").empty());
  EXPECT_TRUE(std::filesystem::exists(*index));
  const auto verified = test::git(repo(), {"verify-pack", "-v", index->string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("chain length = "), std::string::npos) << "the trees are deltas";
  EXPECT_EQ(test::git(repo(), {"cat-file", "-s", git_oid_tostr_s(&made.trees[149].first)}).out,
            std::to_string(made.trees[149].second.size()) + "\n");
  const std::string listing = test::git(repo(), {"ls-tree", git_oid_tostr_s(&made.trees[99].first)}).out;
  EXPECT_EQ(std::count(listing.begin(), listing.end(), '\n'), 100);
}

TEST_F(PackWriterTest, ReadsBackWhatItWroteBeforeTheEnd) {
  const History made = history();
  PackWriter writer(pack_dir());
  ASSERT_TRUE(writer.add(made.blob, made.blob_data, GIT_OBJECT_BLOB).ok());
  for (const auto &[id, raw] : made.trees)
    ASSERT_TRUE(writer.add(id, raw, GIT_OBJECT_TREE).ok());
  // Through the file and a chain of deltas, and from memory.
  for (const std::size_t i : {0u, 1u, 75u, 148u, 149u}) {
    auto read = writer.read(made.trees[i].first);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, made.trees[i].second) << i;
  }
  EXPECT_EQ(writer.read(made.blob).value(), made.blob_data);
}

TEST_F(PackWriterTest, AnUnfinishedPackLeavesNothingBehind) {
  const History made = history();
  {
    PackWriter writer(pack_dir());
    ASSERT_TRUE(writer.add(made.blob, made.blob_data, GIT_OBJECT_BLOB).ok());
    EXPECT_EQ(files(".tasksync-incoming-").size(), 1u);
    writer.discard();
    EXPECT_TRUE(files(".tasksync-incoming-").empty());
    ASSERT_TRUE(writer.add(made.blob, made.blob_data, GIT_OBJECT_BLOB).ok()); // a new pack
    EXPECT_EQ(files(".tasksync-incoming-").size(), 1u);
  }
  EXPECT_TRUE(files(".tasksync-incoming-").empty()) << "the destructor removes it";
  EXPECT_TRUE(files("pack-").empty());

  test::write_text(pack_dir() / ".tasksync-incoming-Ab12Cd", "PACK, cut short by a crash");
  test::write_text(pack_dir() / "tmp_pack_someone_else", "another tool's");
  test::write_text(pack_dir() / "pack-1111111111111111111111111111111111111111.keep",
                   "tasksync: a pass being recorded\n");
  test::write_text(pack_dir() / "pack-2222222222222222222222222222222222222222.keep", "receive-pack 4242 on host\n");
  PackWriter::remove_leftovers(pack_dir());
  EXPECT_FALSE(std::filesystem::exists(pack_dir() / ".tasksync-incoming-Ab12Cd"));
  EXPECT_TRUE(std::filesystem::exists(pack_dir() / "tmp_pack_someone_else"));
  EXPECT_FALSE(std::filesystem::exists(pack_dir() / "pack-1111111111111111111111111111111111111111.keep"));
  EXPECT_TRUE(std::filesystem::exists(pack_dir() / "pack-2222222222222222222222222222222222222222.keep"));
}

TEST_F(PackWriterTest, GitGcBesideAPassKeepsItsPackUntilReleased) {
  const History made = history();
  PackWriter writer(pack_dir());
  ASSERT_TRUE(writer.add(made.blob, made.blob_data, GIT_OBJECT_BLOB).ok());
  // The unfinished pack is not git's to prune either.
  auto gc = test::git(repo(), {"gc", "-q", "--prune=now"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_EQ(files(".tasksync-incoming-").size(), 1u);
  ASSERT_TRUE(writer.finish().ok());
  writer.discard();
  const std::string blob = git_oid_tostr_s(&made.blob);
  // No ref names the blob yet: only the .keep stops gc from dropping it with its pack.
  EXPECT_EQ(files("pack-").size(), 3u); // .keep, .pack, .idx
  gc = test::git(repo(), {"gc", "-q", "--prune=now"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_EQ(test::git(repo(), {"cat-file", "-t", blob}).out, "blob\n");
  writer.release_kept();
  EXPECT_EQ(files("pack-").size(), 2u);
  gc = test::git(repo(), {"gc", "-q", "--prune=now"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_NE(test::git(repo(), {"cat-file", "-t", blob}).exit_code, 0) << "unreferenced and released: git may prune it";
}

TEST_F(PackWriterTest, AFailedWriteSpoilsThePackInsteadOfCorruptingIt) {
  const auto small = m_dir / "small";
  std::filesystem::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=2m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno) << " (the test needs root)";
  }
  struct Unmount {
    std::filesystem::path where;
    ~Unmount() { ::umount2(where.c_str(), MNT_DETACH); }
  } unmount{small};
  test::write_text(small / "filler", std::string(1536 * 1024, 'x')); // leaves about 512 KB
  PackWriter writer(small);
  // 1.2 MB of incompressible blobs: the first write of the buffer stops part-way.
  std::uint64_t state = 88172645463325252u;
  Result<void> added;
  for (int i = 0; i < 20 && added.ok(); ++i) {
    std::string blob(64 * 1024, '\0');
    for (char &c : blob) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      c = static_cast<char>(state >> 56);
    }
    added = writer.add(object_id(GIT_OBJECT_BLOB, blob), blob, GIT_OBJECT_BLOB);
  }
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message.find("No space left on device"), std::string::npos) << added.error().message;
  // Room again: the half-written pack must still not be completed.
  std::filesystem::remove(small / "filler");
  auto finished = writer.finish();
  ASSERT_FALSE(finished.ok()) << "a pack with a torn write in it was completed";
  EXPECT_FALSE(writer.add(object_id(GIT_OBJECT_BLOB, "more"), "more", GIT_OBJECT_BLOB).ok());
  writer.discard();
  EXPECT_TRUE(std::filesystem::is_empty(small)) << "nothing left behind";
  // After discard() the writer starts over.
  EXPECT_TRUE(writer.add(object_id(GIT_OBJECT_BLOB, "again"), "again", GIT_OBJECT_BLOB).ok());
  EXPECT_TRUE(writer.finish().ok());
}
