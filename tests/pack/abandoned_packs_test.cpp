#include "pack/abandoned_packs.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "base/file_descriptor.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

TEST(AbandonedPacks, RemovesOnlyTheIndexerTemporariesNobodyHasOpen) {
  test::TempDir dir;
  test::write_text(dir / "pack_git2_Ab12Cd", "PACK, cut short when its process was killed");
  test::write_text(dir / "pack_git2_Live01", "PACK, still being written");
  test::write_text(dir / "pack-1111111111111111111111111111111111111111.pack", "a finished pack");
  test::write_text(dir / "tmp_pack_someone_else", "another tool's");
  // A transfer in progress (in any process) holds its temporary open.
  const FileDescriptor writer(::open((dir / "pack_git2_Live01").c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer.is_open());

  EXPECT_EQ(remove_abandoned_packs(dir.path()), 1);
  EXPECT_FALSE(std::filesystem::exists(dir / "pack_git2_Ab12Cd"));
  EXPECT_TRUE(std::filesystem::exists(dir / "pack_git2_Live01"));
  EXPECT_TRUE(std::filesystem::exists(dir / "pack-1111111111111111111111111111111111111111.pack"));
  EXPECT_TRUE(std::filesystem::exists(dir / "tmp_pack_someone_else"));
  EXPECT_EQ(remove_abandoned_packs(dir / "absent"), 0);
}
