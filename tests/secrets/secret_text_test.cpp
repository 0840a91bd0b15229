#include "secrets/secret_text.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"

using namespace tasksync;

TEST(SecretText, FinalLineBreaksAreTrimmedAndTheSecretIsMaskedFromThenOn) {
  log::clear_secrets();
  const auto secret = accept_secret("s3cret-text-0042\r\n\n", "k /f");
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(*secret, "s3cret-text-0042");
  EXPECT_EQ(log::mask_secrets("got s3cret-text-0042 here"), "got <redacted> here");
  EXPECT_EQ(accept_secret("with inner space", "k /f").value(), "with inner space");
  log::clear_secrets();
}

TEST(SecretText, EmptyOrControlCharactersAreRefusedWithoutShowingTheSecret) {
  EXPECT_EQ(accept_secret("", "repo.push.token_file /t").error().message, "repo.push.token_file /t is empty");
  EXPECT_EQ(accept_secret("\r\n", "repo.push.token_file /t").error().message, "repo.push.token_file /t is empty");
  for (const std::string &bad : {std::string("abc\ndef"), std::string("abc\rdef"), std::string("abc\0def", 7),
                                 std::string("abc\tdef"), std::string("abc\x7f"), std::string("abc\x1b[2J")}) {
    const auto refused = accept_secret(bad, "the API key from file /k");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().message,
              "the API key from file /k holds a line break or other control character; it must be one line");
  }
}
