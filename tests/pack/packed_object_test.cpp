#include "pack/packed_object.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "git_repository.hpp"
#include "pack/object_id.hpp"
#include "pack/pack_writer.hpp"
#include "pack/tasks_tree.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

// A repository whose only pack holds a blob and `trees` tasks/ trees, each one entry bigger
// than the one before and written as a delta of it (PackWriter's chains): returns each tree's
// raw content, by id order of writing.
std::vector<std::pair<git_oid, std::string>> pack_tree_chain(const std::filesystem::path &repo, int trees) {
  test::init_repository(repo);
  const std::string blob = "// a task\n";
  const git_oid blob_id = object_id(GIT_OBJECT_BLOB, blob);
  PackWriter writer(repo / ".git/objects/pack");
  EXPECT_TRUE(writer.add(blob_id, blob, GIT_OBJECT_BLOB).ok());
  TasksTree tree = std::move(TasksTree::parse("").value());
  std::vector<std::pair<git_oid, std::string>> written;
  for (int i = 0; i < 200 + trees; ++i) {
    tree.set("task-" + std::to_string(i), GIT_FILEMODE_BLOB, blob_id);
    if (i < 200) continue; // trees of over 4 KB, so that PackWriter deltifies them
    written.emplace_back(tree.id(), tree.raw());
    EXPECT_TRUE(writer.add(written.back().first, written.back().second, GIT_OBJECT_TREE).ok());
  }
  EXPECT_TRUE(writer.finish().ok());
  writer.discard();
  return written;
}

std::filesystem::path objects_of(const std::filesystem::path &repo) { return repo / ".git/objects"; }

} // namespace

TEST(PackedObject, ReadsEveryTreeOfADeltaChainAsWritten) {
  test::TempDir dir;
  const auto trees = pack_tree_chain(dir / "repo", 40);
  const auto verified = test::git((dir / "repo").string(), {"count-objects", "-v"});
  ASSERT_NE(verified.out.find("in-pack: 41"), std::string::npos) << verified.out;
  for (const auto &[id, raw] : trees) {
    const auto read = read_packed_object(objects_of(dir / "repo"), id, GIT_OBJECT_TREE);
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_TRUE(read->has_value()) << git_oid_tostr_s(&id);
    EXPECT_EQ(**read, raw) << git_oid_tostr_s(&id);
  }
}

TEST(PackedObject, ReadsWhatGitPackedAndLeavesRefDeltasToLibgit2) {
  test::TempDir dir;
  const std::string repo = (dir / "repo").string();
  test::init_repository(repo);
  std::string content;
  for (int i = 0; i < 30; ++i) {
    content += "line " + std::to_string(i) + " of a task that grows by one line per commit\n";
    std::ofstream(dir / "repo/task.ts") << content;
    std::ofstream(dir / ("repo/file-" + std::to_string(i))) << i;
    ASSERT_EQ(test::git(repo, {"add", "-A"}).exit_code, 0);
    ASSERT_EQ(test::git(repo, {"-c", "user.name=A", "-c", "user.email=a@example.invalid", "commit", "-qm",
                               "commit " + std::to_string(i)})
                  .exit_code,
              0);
  }
  const auto objects = test::git(repo, {"rev-list", "--objects", "--all"});
  ASSERT_EQ(objects.exit_code, 0);
  const auto total = static_cast<std::size_t>(std::count(objects.out.begin(), objects.out.end(), '\n'));
  ASSERT_EQ(total, 120u); // 30 commits, 30 trees, 60 blobs
  auto check_all = [&](bool ref_deltas) {
    std::size_t read_here = 0;
    std::istringstream lines(objects.out);
    for (std::string line; std::getline(lines, line);) {
      const std::string hex = line.substr(0, GIT_OID_HEXSZ);
      const std::string type = test::git(repo, {"cat-file", "-t", hex}).out;
      const git_object_t kind = type == "tree\n"   ? GIT_OBJECT_TREE
                                : type == "blob\n" ? GIT_OBJECT_BLOB
                                                   : GIT_OBJECT_COMMIT;
      git_oid id;
      ASSERT_EQ(git_oid_fromstr(&id, hex.c_str()), 0);
      const auto read = read_packed_object(objects_of(dir / "repo"), id, kind);
      ASSERT_TRUE(read.ok()) << read.error().message;
      if (!read->has_value()) continue;
      ++read_here;
      EXPECT_EQ(**read, test::git(repo, {"cat-file", type.substr(0, type.size() - 1), hex}).out) << hex;
    }
    // Every object, or with REF_DELTA only those stored whole (the others are libgit2's to read).
    if (ref_deltas) {
      EXPECT_GT(read_here, 0u);
      EXPECT_LT(read_here, total);
    } else {
      EXPECT_EQ(read_here, total);
    }
  };
  ASSERT_EQ(test::git(repo, {"repack", "-adq", "--depth=50"}).exit_code, 0);
  check_all(false);
  ASSERT_EQ(test::git(repo, {"-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq", "--depth=50"}).exit_code, 0);
  check_all(true);
}

TEST(PackedObject, LeavesLooseObjectsToLibgit2) {
  test::TempDir dir;
  const std::string repo = (dir / "repo").string();
  test::init_repository(repo);
  std::ofstream(dir / "repo/task.ts") << "a task\n";
  const auto hashed = test::git(repo, {"hash-object", "-w", "task.ts"});
  git_oid id;
  ASSERT_EQ(git_oid_fromstr(&id, hashed.out.substr(0, GIT_OID_HEXSZ).c_str()), 0);
  const auto read = read_packed_object(objects_of(dir / "repo"), id, GIT_OBJECT_BLOB);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_FALSE(read->has_value());
}

TEST(PackedObject, RefusesAnObjectOfAnotherTypeAndACorruptPack) {
  test::TempDir dir;
  const auto trees = pack_tree_chain(dir / "repo", 10);
  const git_oid &last = trees.back().first;
  const auto as_blob = read_packed_object(objects_of(dir / "repo"), last, GIT_OBJECT_BLOB);
  ASSERT_FALSE(as_blob.ok());
  EXPECT_NE(as_blob.error().message.find("is not what the pack holds"), std::string::npos) << as_blob.error().message;

  // One byte changed in the middle of the pack: inside some entry's zlib stream or delta.
  std::filesystem::path pack;
  for (const auto &file : std::filesystem::directory_iterator(dir / "repo/.git/objects/pack"))
    if (file.path().extension() == ".pack") pack = file.path();
  std::filesystem::permissions(pack, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  std::string bytes = test::read_text(pack);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  std::ofstream(pack, std::ios::binary | std::ios::trunc) << bytes;
  std::size_t refused = 0;
  for (const auto &[id, raw] : trees) {
    const auto read = read_packed_object(objects_of(dir / "repo"), id, GIT_OBJECT_TREE);
    if (read.ok()) {
      ASSERT_TRUE(read->has_value());
      EXPECT_EQ(**read, raw); // an entry before the changed byte
    } else {
      ++refused;
      EXPECT_NE(read.error().message.find(pack.string()), std::string::npos) << read.error().message;
    }
  }
  EXPECT_GT(refused, 0u);
}
