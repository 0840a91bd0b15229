#include "base/small_file.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kFourKiB = 4 * 1024; // a size the error shows in KiB

// How the tests name and bound a file: a token of at most 16 bytes.
SmallFile token_file(bool follow_symlink = true) { return {"cannot read t.token_file", 16, "a token", follow_symlink}; }

std::string refusal(const std::filesystem::path &file, const SmallFile &how = token_file()) {
  auto text = read_small_file(file, how);
  return text ? "read: " + *text : text.error().message;
}

} // namespace

TEST(SmallFile, ReadsARegularFileWholeUpToTheLimit) {
  test::TempDir dir;
  test::write_text(dir / "token", "0123456789abcdef");
  EXPECT_EQ(refusal(dir / "token"), "read: 0123456789abcdef") << "exactly the limit is still read";
  test::write_text(dir / "empty", "");
  EXPECT_EQ(refusal(dir / "empty"), "read: ") << "empty is for the caller to judge";
}

TEST(SmallFile, ALargerFileIsRefusedNamingTheLimit) {
  test::TempDir dir;
  test::write_text(dir / "token", "0123456789abcdef!");
  EXPECT_EQ(refusal(dir / "token"), "cannot read t.token_file: it is larger than 16 bytes, too large for a token");
  EXPECT_EQ(refusal(dir / "token", {"cannot read k", kFourKiB, "a secret"}), "read: 0123456789abcdef!");
  test::write_text(dir / "big", std::string(kFourKiB + 1, 'x'));
  EXPECT_EQ(refusal(dir / "big", {"cannot read k", kFourKiB, "a secret"}),
            "cannot read k: it is larger than 4 KiB (4096 bytes), too large for a secret");
  // A file whose size says 0 is bounded while it is read.
  EXPECT_EQ(refusal("/proc/self/status"),
            "cannot read t.token_file: it is larger than 16 bytes, too large for a token");
}

TEST(SmallFile, ADeviceDirectoryOrFifoIsRefusedAtOnceByWhatItIs) {
  test::TempDir dir;
  EXPECT_EQ(refusal("/dev/zero"), "cannot read t.token_file: it is a character device, not a regular file");
  EXPECT_EQ(refusal(dir.path()), "cannot read t.token_file: it is a directory, not a regular file");
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A FIFO without a writer: opening it to read must not wait for one.
  auto reading = std::async(std::launch::async, [&] { return refusal(fifo); });
  if (reading.wait_for(5s) == std::future_status::timeout) {
    ADD_FAILURE() << "read_small_file waits on a FIFO";
    ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)); // the writer it waits for, so the test can end
  }
  EXPECT_EQ(reading.get(), "cannot read t.token_file: it is a FIFO, not a regular file");
}

TEST(SmallFile, AMissingFileGivesTheOsReason) {
  test::TempDir dir;
  EXPECT_EQ(refusal(dir / "missing"), "cannot read t.token_file: No such file or directory");
}

TEST(SmallFile, ASymlinkIsFollowedOnlyWhereThePathIsNotOurs) {
  test::TempDir dir;
  test::write_text(dir / "target", "secret");
  std::filesystem::create_symlink(dir / "target", dir / "link");
  EXPECT_EQ(refusal(dir / "link"), "read: secret");
  EXPECT_EQ(refusal(dir / "link", token_file(false)),
            "cannot read t.token_file: it is a symbolic link, not a regular file");
  EXPECT_EQ(refusal(dir / "target", token_file(false)), "read: secret");
}

TEST(SmallFile, OpenRegularFileChecksWithoutReading) {
  test::TempDir dir;
  test::write_text(dir / "big", std::string(100, 'x'));
  const auto opened = open_regular_file(dir / "big", token_file());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_TRUE(opened->is_open());
  EXPECT_NE(::fcntl(opened->get(), F_GETFD) & FD_CLOEXEC, 0) << "a hook must not inherit it";
  EXPECT_EQ(open_regular_file("/dev/zero", token_file()).error().message,
            "cannot read t.token_file: it is a character device, not a regular file");
}
