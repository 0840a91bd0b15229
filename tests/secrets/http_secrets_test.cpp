#include "secrets/http_secrets.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

using namespace tasksync;

TEST(HttpSecrets, WithoutFilesNoRouteHasASecret) {
  const auto secrets = load_http_secrets(HttpSettings{});
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  EXPECT_FALSE(secrets->sync_token);
  EXPECT_FALSE(secrets->webhook_secrets);
}

TEST(HttpSecrets, TheTokenAndTheWebhooksSecretsComeFromTheirFiles) {
  test::TempDir dir;
  test::write_text(dir / "token", "sync-token-0123456789abcdef\n");
  test::write_text(dir / "secret", "whsec_new_71\nwhsec_old_72\n");
  HttpSettings http;
  http.sync_token_file = dir / "token";
  http.webhook_secret_file = dir / "secret";
  const auto secrets = load_http_secrets(http);
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  EXPECT_EQ(secrets->sync_token, "sync-token-0123456789abcdef");
  EXPECT_EQ(secrets->webhook_secrets, (std::vector<std::string>{"whsec_new_71", "whsec_old_72"}));
}

TEST(HttpSecrets, LoadingFailsWithTheFirstUnusableFileAndReadingReportsEach) {
  test::TempDir dir;
  test::write_text(dir / "secret", "\n");
  HttpSettings http;
  http.sync_token_file = dir / "missing";
  http.webhook_secret_file = dir / "secret";
  const std::string token_error =
      "http.sync_token_file " + (dir / "missing").string() + ": cannot read: No such file or directory";
  const std::string secret_error = "http.webhook_secret_file " + (dir / "secret").string() + ": the file is empty";

  const auto loaded = load_http_secrets(http);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, token_error);

  const HttpSecretFiles files = read_http_secret_files(http);
  ASSERT_TRUE(files.sync_token && files.webhook_secrets);
  ASSERT_FALSE(files.sync_token->ok());
  EXPECT_EQ(files.sync_token->error().message, token_error);
  ASSERT_FALSE(files.webhook_secrets->ok());
  EXPECT_EQ(files.webhook_secrets->error().message, secret_error);
}
