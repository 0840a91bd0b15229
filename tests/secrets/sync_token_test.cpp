#include "secrets/sync_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/log.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

TEST(SyncToken, ReadsOneLineAndMasksItInTheLog) {
  test::TempDir dir;
  test::write_text(dir / "token", "sync-token-0123456789abcdef\n");
  auto token = load_sync_token(dir / "token");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(*token, "sync-token-0123456789abcdef");
  EXPECT_EQ(log::mask_secrets("token sync-token-0123456789abcdef here"), "token <redacted> here");
}

TEST(SyncToken, ErrorsNameTheKeyThePathAndTheReasonButNeverTheToken) {
  test::TempDir dir;
  const auto missing = load_sync_token(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "http.sync_token_file " + (dir / "missing").string() + ": cannot read: No such file or directory");
  const auto directory = load_sync_token(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().message,
            "http.sync_token_file " + dir.path().string() + ": cannot read: it is a directory, not a regular file");
  ::mkfifo((dir / "fifo").c_str(), 0600);
  const auto fifo = load_sync_token(dir / "fifo");
  ASSERT_FALSE(fifo.ok()) << "a FIFO is refused at once, never waited on";
  EXPECT_NE(fifo.error().message.find("not a regular file"), std::string::npos) << fifo.error().message;

  test::write_text(dir / "short", "short-token\n");
  const auto short_token = load_sync_token(dir / "short");
  ASSERT_FALSE(short_token.ok());
  EXPECT_NE(short_token.error().message.find("shorter than 16 characters"), std::string::npos);
  EXPECT_EQ(short_token.error().message.find("short-token"), std::string::npos) << short_token.error().message;
  test::write_text(dir / "two-lines", "first-line-of-token\nsecond-line-of-token\n");
  const auto two_lines = load_sync_token(dir / "two-lines");
  ASSERT_FALSE(two_lines.ok());
  EXPECT_NE(two_lines.error().message.find("one line"), std::string::npos);
  EXPECT_EQ(two_lines.error().message.find("first-line"), std::string::npos) << two_lines.error().message;
}
