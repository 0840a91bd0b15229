#include "pack/pack_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
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

std::string bytes(std::initializer_list<unsigned char> list) { return std::string(list.begin(), list.end()); }

// `size` bytes that repeat nowhere within a delta's reach (xorshift).
std::string noise(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  for (char &c : out) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    c = static_cast<char>(seed >> 56);
  }
  return out;
}

git_oid id_starting(unsigned char first, unsigned char second) {
  git_oid id{};
  id.id[0] = first;
  id.id[1] = second;
  id.id[19] = 0x5a;
  return id;
}

std::string read_file(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Expects `result` to have failed with a message containing `words`.
template <typename T> void expect_refused(const Result<T> &result, const std::string &words) {
  ASSERT_FALSE(result.ok()) << "accepted, expected: " << words;
  EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
}

} // namespace

TEST(PackFormat, PackHeaderRoundTripsAndAnythingElseIsRefused) {
  for (const std::uint32_t count : {0u, 1u, 151u, 0xffffffffu}) {
    const auto header = pack_format::pack_header(count);
    const std::string_view written(header.data(), header.size());
    EXPECT_EQ(written.substr(0, 8), bytes({'P', 'A', 'C', 'K', 0, 0, 0, 2}));
    EXPECT_EQ(pack_format::read_pack_header(written).value(), count);
  }
  EXPECT_EQ(pack_format::read_pack_header(bytes({'P', 'A', 'C', 'K', 0, 0, 0, 3, 0, 0, 1, 0})).value(), 256u);
  expect_refused(pack_format::read_pack_header(bytes({'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 1})), "shorter");
  expect_refused(pack_format::read_pack_header(bytes({'P', 'A', 'C', 'X', 0, 0, 0, 2, 0, 0, 1, 0})), "no PACK");
  expect_refused(pack_format::read_pack_header(bytes({'P', 'A', 'C', 'K', 0, 0, 0, 4, 0, 0, 1, 0})),
                 "unsupported pack version 4");
}

TEST(PackFormat, EntryHeadersRoundTripAtEverySizeBoundary) {
  // The first byte holds 4 bits of the size, each further byte 7: 2^4, 2^11, 2^18, ... need one more byte.
  const std::vector<std::pair<std::uint64_t, std::size_t>> sizes = {
      {0, 1},      {15, 1},     {16, 2},         {2047, 2},        {2048, 3},
      {262143, 3}, {262144, 4}, {0xffffffff, 5}, {0x100000000, 6}, {UINT64_MAX, 10}};
  for (const git_object_t type : {GIT_OBJECT_COMMIT, GIT_OBJECT_TREE, GIT_OBJECT_BLOB, GIT_OBJECT_TAG}) {
    for (const auto &[size, length] : sizes) {
      const auto encoded = pack_format::entry_header(type, size);
      EXPECT_EQ(encoded.bytes().size(), length) << size;
      const auto read = pack_format::read_entry_header(encoded.bytes());
      ASSERT_TRUE(read.ok()) << read.error().message;
      EXPECT_EQ(read->type, type);
      EXPECT_EQ(read->size, size);
      EXPECT_EQ(read->base_distance, 0u);
      EXPECT_EQ(read->length, length);
    }
  }
  // As git writes them: a 10-byte blob, and a 300-byte tree.
  EXPECT_EQ(pack_format::entry_header(GIT_OBJECT_BLOB, 10).bytes(), bytes({0x3a}));
  EXPECT_EQ(pack_format::entry_header(GIT_OBJECT_TREE, 300).bytes(), bytes({0xac, 0x12}));
  // The zlib stream after the header is not read as part of it.
  EXPECT_EQ(pack_format::read_entry_header(bytes({0x3a, 0x78, 0x01})).value().length, 1u);
}

TEST(PackFormat, OffsetDeltaBaseDistancesRoundTrip) {
  // Each continued byte adds one: 127 fits one byte, 128 is 0x80 0x00, 16511 the largest of two.
  EXPECT_EQ(pack_format::ofs_delta_header(5, 127).bytes(), bytes({0x65, 0x7f}));
  EXPECT_EQ(pack_format::ofs_delta_header(5, 128).bytes(), bytes({0x65, 0x80, 0x00}));
  EXPECT_EQ(pack_format::ofs_delta_header(5, 16511).bytes(), bytes({0x65, 0xff, 0x7f}));
  EXPECT_EQ(pack_format::ofs_delta_header(5, 16512).bytes(), bytes({0x65, 0x80, 0x80, 0x00}));
  for (const std::uint64_t distance :
       {std::uint64_t{1}, std::uint64_t{127}, std::uint64_t{128}, std::uint64_t{16511}, std::uint64_t{16512},
        std::uint64_t{0x80000000}, std::uint64_t{0x100000005}, UINT64_MAX}) {
    for (const std::uint64_t size : {std::uint64_t{0}, std::uint64_t{100}, std::uint64_t{0x100000000}, UINT64_MAX}) {
      const auto encoded = pack_format::ofs_delta_header(size, distance);
      const auto read = pack_format::read_entry_header(encoded.bytes());
      ASSERT_TRUE(read.ok()) << read.error().message;
      EXPECT_EQ(read->type, GIT_OBJECT_OFS_DELTA);
      EXPECT_EQ(read->size, size);
      EXPECT_EQ(read->base_distance, distance);
      EXPECT_EQ(read->length, encoded.bytes().size());
    }
  }
}

TEST(PackFormat, ACutOrCorruptEntryHeaderIsRefused) {
  const auto whole = pack_format::ofs_delta_header(std::uint64_t{1} << 40, std::uint64_t{1} << 40);
  for (std::size_t cut = 0; cut < whole.bytes().size(); ++cut)
    expect_refused(pack_format::read_entry_header(whole.bytes().substr(0, cut)), "truncated");
  expect_refused(pack_format::read_entry_header(bytes({0x05})), "unknown type 0");
  expect_refused(pack_format::read_entry_header(bytes({0x55})), "unknown type 5");
  expect_refused(pack_format::read_entry_header(bytes({0x75})), "REF_DELTA");
  expect_refused(pack_format::read_entry_header(bytes({0x65, 0x00})), "a delta based on itself");
  // A size or a distance past 64 bits.
  expect_refused(pack_format::read_entry_header(bytes({0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f})),
                 "size too large");
  expect_refused(pack_format::read_entry_header(std::string(12, '\xff') + '\x00'), "too large");
  std::string far = bytes({0x65});
  far += std::string(10, '\xff');
  far += '\x7f';
  expect_refused(pack_format::read_entry_header(far), "base distance too large");
}

TEST(PackFormat, DeltasRoundTrip) {
  // A 200 KB base: the copies need several instructions (at most 0xffff bytes each) and offsets
  // of three bytes; the 300 inserted bytes need three insert instructions (at most 127 each).
  const std::string base = noise(200'000, 42);
  const std::string middle = noise(300, 7);
  const std::size_t prefix = 150'000, suffix = 40'000;
  const std::string made = base.substr(0, prefix) + middle + base.substr(base.size() - suffix);
  std::string delta;
  pack_format::append_delta_sizes(delta, base.size(), made.size());
  pack_format::append_delta_copy(delta, 0, prefix);
  pack_format::append_delta_insert(delta, middle);
  pack_format::append_delta_copy(delta, base.size() - suffix, suffix);
  pack_format::append_delta_copy(delta, 5, 0); // nothing
  pack_format::append_delta_insert(delta, ""); // nothing
  EXPECT_LT(delta.size(), middle.size() + 60);
  EXPECT_EQ(pack_format::apply_delta(base, delta).value(), made);

  // git's shorthand: a copy with no size bytes copies 0x10000.
  std::string shorthand;
  pack_format::append_delta_sizes(shorthand, base.size(), 0x10000);
  shorthand += bytes({0x81, 0x10});
  EXPECT_EQ(pack_format::apply_delta(base, shorthand).value(), base.substr(0x10, 0x10000));

  expect_refused(pack_format::apply_delta(base.substr(1), delta), "another size");
  for (const std::size_t cut : {std::size_t{1}, std::size_t{5}, delta.size() - 1})
    EXPECT_FALSE(pack_format::apply_delta(base, delta.substr(0, cut)).ok()) << cut;
  std::string beyond;
  pack_format::append_delta_sizes(beyond, base.size(), 10);
  pack_format::append_delta_copy(beyond, base.size() - 5, 10);
  expect_refused(pack_format::apply_delta(base, beyond), "copy out of bounds");
  std::string reserved;
  pack_format::append_delta_sizes(reserved, base.size(), 1);
  reserved += '\0';
  expect_refused(pack_format::apply_delta(base, reserved), "reserved instruction 0");
}

TEST(PackFormat, IndexRoundTripsWithOffsetsPastTheThirtyTwoBitTable) {
  std::vector<pack_format::IndexEntry> entries = {
      {id_starting(0xff, 1), 12, 0xdeadbeef},
      {id_starting(0x00, 2), 0x7fffffff, 1}, // the largest offset of the 32-bit table
      {id_starting(0x80, 3), 0x80000000, 2}, // the smallest of the 64-bit one
      {id_starting(0x80, 1), 0x123456789abc, 3},
      {id_starting(0x01, 9), 400, 0},
  };
  const std::vector<pack_format::IndexEntry> written = entries;
  pack_format::Checksum pack_checksum{};
  pack_checksum.fill(0xab);
  const std::string index = pack_format::index(entries, pack_checksum);
  // Two 64-bit offsets; the index's own SHA-1 ends it.
  EXPECT_EQ(index.size(), 8 + 256 * 4 + 5 * (20 + 4 + 4) + 2 * 8 + 40);
  Sha1 sha;
  sha.update(std::string_view(index).substr(0, index.size() - 20));
  const auto own = sha.finish();
  EXPECT_EQ(index.substr(index.size() - 20), std::string(own.begin(), own.end()));

  const auto read = pack_format::IndexView::read(index);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->objects(), 5u);
  EXPECT_EQ(read->pack_checksum(), pack_checksum);
  for (std::uint32_t i = 0; i < read->objects(); ++i) {
    const git_oid id = read->id(i);
    if (i > 0) {
      const git_oid before = read->id(i - 1);
      EXPECT_LT(git_oid_cmp(&before, &id), 0) << "sorted by id";
    }
    const auto original = std::find_if(written.begin(), written.end(),
                                       [&](const pack_format::IndexEntry &e) { return git_oid_equal(&e.id, &id); });
    ASSERT_NE(original, written.end());
    EXPECT_EQ(read->offset(i), original->offset);
    EXPECT_EQ(read->crc(i), original->crc);
  }
}

TEST(PackFormat, ACutOrCorruptIndexIsRefused) {
  std::vector<pack_format::IndexEntry> entries = {{id_starting(0x10, 0), 0x90000000, 1}, {id_starting(0x20, 0), 12, 2}};
  const std::string index = pack_format::index(entries, pack_format::Checksum{});
  for (const std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{500}})
    expect_refused(pack_format::IndexView::read(index.substr(0, cut)), "not a version 2 pack index");
  for (const std::size_t cut : {index.size() - 1, index.size() - 8, index.size() - 41, std::size_t{8 + 1024 + 30}})
    expect_refused(pack_format::IndexView::read(index.substr(0, cut)), "truncated");
  std::string version1 = index;
  version1[7] = 1;
  expect_refused(pack_format::IndexView::read(version1), "not a version 2 pack index");
  std::string fanout = index;
  fanout[8 + 0x30 * 4 + 3] = 9; // more objects below 0x31 than below 0xff
  expect_refused(pack_format::IndexView::read(fanout), "corrupt fan-out table");
  std::string dangling = index; // a 64-bit offset the table does not hold
  dangling[8 + 1024 + 2 * 24 + 3] = 1;
  expect_refused(pack_format::IndexView::read(dangling), "truncated");
}

TEST(PackFormat, APackAndIndexWrittenThroughItPassGitsChecks) {
  test::TempDir dir;
  const std::string repo = (dir / "repo").string();
  test::init_repository(repo);
  // A blob, 40 tasks/ trees of over 4 KB each one entry bigger (deltas after the first), a commit.
  const std::string blob = "// a task\n";
  const git_oid blob_id = object_id(GIT_OBJECT_BLOB, blob);
  PackWriter writer(dir / "repo/.git/objects/pack");
  ASSERT_TRUE(writer.add(blob_id, blob, GIT_OBJECT_BLOB).ok());
  TasksTree tree = std::move(TasksTree::parse("").value());
  git_oid tree_id{};
  for (int i = 0; i < 240; ++i) {
    tree.set("task-" + std::to_string(i), GIT_FILEMODE_BLOB, blob_id);
    tree_id = tree.id();
    if (i >= 200) {
      ASSERT_TRUE(writer.add(tree_id, tree.raw(), GIT_OBJECT_TREE).ok());
    }
  }
  const std::string commit = std::string("tree ") + git_oid_tostr_s(&tree_id) +
                             "\nauthor A <a@example.invalid> 1795185067 +0000\n"
                             "committer A <a@example.invalid> 1795185067 +0000\n\nA pass\n";
  const git_oid commit_id = object_id(GIT_OBJECT_COMMIT, commit);
  ASSERT_TRUE(writer.add(commit_id, commit, GIT_OBJECT_COMMIT).ok());
  const auto index = writer.finish();
  ASSERT_TRUE(index.ok()) << index.error().message;
  writer.discard();
  const auto pack = std::filesystem::path(*index).replace_extension(".pack");

  const auto verified = test::git(repo, {"verify-pack", "-v", index->string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("chain length = 39: 1 object"), std::string::npos) << verified.out;
  // git's own index of the pack is ours, byte for byte.
  const auto reindexed = test::git(repo, {"index-pack", "-o", (dir / "git.idx").string(), pack.string()});
  ASSERT_EQ(reindexed.exit_code, 0) << reindexed.err;
  EXPECT_EQ(read_file(dir / "git.idx"), read_file(*index));
  ASSERT_EQ(test::git(repo, {"update-ref", "HEAD", git_oid_tostr_s(&commit_id)}).exit_code, 0);
  const auto fsck = test::git(repo, {"fsck", "--full", "--strict", "--no-dangling"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  EXPECT_EQ(fsck.err, "");

  // An index git writes with 64-bit offsets (from 100 bytes on) reads as git's verify-pack lists it.
  const auto large =
      test::git(repo, {"index-pack", "--index-version=2,100", "-o", (dir / "large.idx").string(), pack.string()});
  ASSERT_EQ(large.exit_code, 0) << large.err;
  const std::string large_index = read_file(dir / "large.idx");
  const auto read = pack_format::IndexView::read(large_index);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->objects(), 42u);
  std::size_t past_limit = 0;
  for (std::uint32_t i = 0; i < read->objects(); ++i) {
    const git_oid id = read->id(i);
    const std::string line = std::string(git_oid_tostr_s(&id)) + " ";
    const auto at = verified.out.find(line);
    ASSERT_NE(at, std::string::npos) << line;
    // verify-pack -v: "<id> <type> <size> <size-in-pack> <offset-in-pack> [<depth> <base>]".
    std::istringstream fields(verified.out.substr(at, verified.out.find('\n', at) - at));
    std::string hex, type;
    std::uint64_t size = 0, stored = 0, offset = 0;
    fields >> hex >> type >> size >> stored >> offset;
    EXPECT_EQ(read->offset(i), offset) << hex;
    past_limit += offset > 100;
  }
  EXPECT_GT(past_limit, 30u) << "the 64-bit table was used";
}
