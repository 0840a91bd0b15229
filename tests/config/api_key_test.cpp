#include "config/api_key.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

using namespace tasksync;

TEST(ApiKey, FileWinsAndItsFinalNewlineIsTrimmed) {
  test::TempDir dir;
  test::write_text(dir / "key", "file-key\n");
  test::write_text(dir / "creds/anchor-api-key", "credential-key");
  auto key = load_api_key({dir / "key", "env-key", dir / "creds"});
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->value, "file-key");
  EXPECT_EQ(key->source, "file " + (dir / "key").string());
}

TEST(ApiKey, EnvironmentComesBeforeCredentials) {
  test::TempDir dir;
  test::write_text(dir / "anchor-api-key", "credential-key");
  auto key = load_api_key({std::nullopt, "env-key", dir.path()});
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->value, "env-key");
  EXPECT_EQ(key->source, "environment variable ANCHORBROWSER_API_KEY");
}

TEST(ApiKey, SystemdCredentialIsTheLastResort) {
  test::TempDir dir;
  test::write_text(dir / "anchor-api-key", "credential-key\r\n");
  auto key = load_api_key({std::nullopt, std::nullopt, dir.path()});
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->value, "credential-key");
}

TEST(ApiKey, MissingKeySaysWhereItWasLookedFor) {
  test::TempDir dir;
  auto key = load_api_key({std::nullopt, std::nullopt, dir.path()});
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("no API key"), std::string::npos);
  EXPECT_NE(key.error().message.find("api.api_key_file"), std::string::npos);
  EXPECT_NE(key.error().message.find("ANCHORBROWSER_API_KEY"), std::string::npos);
  EXPECT_NE(key.error().message.find("anchor-api-key"), std::string::npos);
}

TEST(ApiKey, UnreadableFileIsNamed) {
  auto key = load_api_key({"/nonexistent/key", "env-key", std::nullopt});
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "cannot read the API key from file /nonexistent/key: No such file or directory");
}

TEST(ApiKey, ControlCharactersAndEmptyKeysAreRefusedWithoutShowingTheKey) {
  for (const std::string &bad : {std::string("abc\ndef"), std::string("abc\rdef"), std::string("abc\0def", 7),
                                std::string("abc\tdef")}) {
    auto key = load_api_key({std::nullopt, bad, std::nullopt});
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("control character"), std::string::npos);
    EXPECT_EQ(key.error().message.find("abc"), std::string::npos);
  }
  auto empty = load_api_key({std::nullopt, "\n", std::nullopt});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
}
