#include "git/instance_lock.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "temp_dir.hpp"

using namespace tasksync;

TEST(InstanceLock, OneHolderAtATime) {
  test::TempDir dir;
  auto first = InstanceLock::acquire(dir.path(), "/srv/mirror");
  ASSERT_TRUE(first.ok()) << first.error().message;

  auto second = InstanceLock::acquire(dir.path(), "/srv/mirror");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "another tasksyncd (pid " + std::to_string(::getpid()) +
                                        ") is already working on /srv/mirror; refusing to run a second one on the "
                                        "same repository");
}

TEST(InstanceLock, ReleasedWhenDestroyed) {
  test::TempDir dir;
  { auto lock = InstanceLock::acquire(dir.path(), "repo"); }
  EXPECT_TRUE(InstanceLock::acquire(dir.path(), "repo").ok());
}

TEST(InstanceLock, UnwritableDirectoryIsNamed) {
  auto lock = InstanceLock::acquire("/nonexistent/.git", "repo");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.error().message.find("/nonexistent/.git/tasksyncd.lock"), std::string::npos);
}

TEST(InstanceLock, ASymlinkIsRefusedNeverFollowed) {
  test::TempDir dir;
  const auto target = dir / "outside";
  std::filesystem::create_symlink(target, dir / "tasksyncd.lock"); // dangling: O_CREAT would make the target
  auto lock = InstanceLock::acquire(dir.path(), "repo");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.error().message.find((dir / "tasksyncd.lock").string() + ": it is a symlink"), std::string::npos)
      << lock.error().message;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(target)));
}

TEST(InstanceLock, AFifoIsRefusedWithoutWaitingForAWriter) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "tasksyncd.lock").c_str(), 0644), 0);
  auto lock = InstanceLock::acquire(dir.path(), "repo");
  ASSERT_FALSE(lock.ok());
  EXPECT_NE(lock.error().message.find("it is a FIFO, not a regular file"), std::string::npos) << lock.error().message;
}
