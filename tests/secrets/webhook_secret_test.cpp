#include "secrets/webhook_secret.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

using Secrets = std::vector<std::string>;

TEST(WebhookSecret, ReadsTheFileWithoutItsFinalNewlineAndMasksIt) {
  test::TempDir dir;
  test::write_text(dir / "secret", "whsec_abc 123\r\n");
  auto secrets = load_webhook_secrets(dir / "secret");
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  EXPECT_EQ(*secrets, Secrets{"whsec_abc 123"});
  EXPECT_EQ(log::mask_secrets("got whsec_abc 123 here"), "got <redacted> here");
}

// While the webhook's secret is rotated: the new one, then the old one.
TEST(WebhookSecret, TwoLinesAreTwoSecretsInTheirOrderAndBothAreMasked) {
  test::TempDir dir;
  for (const std::string &text :
       {std::string("whsec_new_61\nwhsec_old_62\n"), std::string("whsec_new_61\nwhsec_old_62"),
        std::string("whsec_new_61\r\nwhsec_old_62\r\n")}) {
    test::write_text(dir / "secret", text);
    auto secrets = load_webhook_secrets(dir / "secret");
    ASSERT_TRUE(secrets.ok()) << secrets.error().message;
    EXPECT_EQ(*secrets, (Secrets{"whsec_new_61", "whsec_old_62"}));
  }
  EXPECT_EQ(log::mask_secrets("new whsec_new_61, old whsec_old_62"), "new <redacted>, old <redacted>");
}

TEST(WebhookSecret, AnEmptyOrUnreadableFileIsAnErrorNamingTheKeyAndThePath) {
  test::TempDir dir;
  test::write_text(dir / "empty", "\n");
  const auto empty = load_webhook_secrets(dir / "empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "http.webhook_secret_file " + (dir / "empty").string() + ": the file is empty");
  const auto missing = load_webhook_secrets(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "http.webhook_secret_file " + (dir / "missing").string() + ": cannot read: No such file or directory");
  const auto directory = load_webhook_secrets(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

TEST(WebhookSecret, ABlankLineAThirdLineOrABadSecretIsAnErrorNamingTheLine) {
  test::TempDir dir;
  const std::string where = "http.webhook_secret_file " + (dir / "secret").string() + ": ";
  const std::string three =
      "it holds 3 lines; it must hold one secret, or two while the secret is rotated (the new one first)";
  for (const auto &[text, reason] : std::vector<std::pair<std::string, std::string>>{
           {"whsec_new\n\nwhsec_old\n", "line 2 is empty"},
           {"\nwhsec_old\n", "line 1 is empty"},
           {"whsec_new\n\n", "line 2 is empty"},
           {"whsec_new\r\n\r\n", "line 2 is empty"},
           {"whsec_a\nwhsec_b\nwhsec_c\n", three},
           {"whsec_a\nwhsec_b\nwhsec_c", three},
           {"whsec_new\nwhsec\x01old\n", "line 2 holds a line break or other control character; it must be one line"},
           {"whsec\rnew\nwhsec_old\n", "line 1 holds a line break or other control character; it must be one line"},
           {"whsec\x7fnew\n", "the file holds a line break or other control character; it must be one line"},
       }) {
    test::write_text(dir / "secret", text);
    const auto secrets = load_webhook_secrets(dir / "secret");
    ASSERT_FALSE(secrets.ok()) << text;
    EXPECT_EQ(secrets.error().message, where + reason) << text;
    EXPECT_EQ(secrets.error().message.find("whsec"), std::string::npos) << "a secret in the error";
  }
}
