#include "config/webhook_secret.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

TEST(WebhookSecret, ReadsTheFileWithoutItsFinalNewlineAndMasksIt) {
  test::TempDir dir;
  test::write_text(dir / "secret", "whsec_abc 123\r\n");
  auto secret = load_webhook_secret(dir / "secret");
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(*secret, "whsec_abc 123");
  EXPECT_EQ(log::mask_secrets("got whsec_abc 123 here"), "got <redacted> here");
}

TEST(WebhookSecret, AnEmptyOrUnreadableFileIsAnErrorNamingTheKeyAndThePath) {
  test::TempDir dir;
  test::write_text(dir / "empty", "\n");
  const auto empty = load_webhook_secret(dir / "empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "http.webhook_secret_file " + (dir / "empty").string() + ": the file is empty");
  const auto missing = load_webhook_secret(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "http.webhook_secret_file " + (dir / "missing").string() + ": cannot read: No such file or directory");
  const auto directory = load_webhook_secret(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}
