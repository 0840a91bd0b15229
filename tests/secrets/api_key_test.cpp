#include "secrets/api_key.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>

#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

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
  for (const std::string &bad :
       {std::string("abc\ndef"), std::string("abc\rdef"), std::string("abc\0def", 7), std::string("abc\tdef")}) {
    auto key = load_api_key({std::nullopt, bad, std::nullopt});
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("control character"), std::string::npos);
    EXPECT_EQ(key.error().message.find("abc"), std::string::npos);
  }
  auto empty = load_api_key({std::nullopt, "\n", std::nullopt});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);
}

TEST(ApiKey, AKeyFileThatIsNoRegularFileOrTooLargeIsRefusedAtOnceNamingTheFileAndWhy) {
  test::TempDir dir;
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A FIFO without a writer: opening it to read must not wait for one.
  auto loading = std::async(std::launch::async, [&] { return load_api_key({fifo, std::nullopt, std::nullopt}); });
  if (loading.wait_for(5s) == std::future_status::timeout) {
    ADD_FAILURE() << "load_api_key waits on a FIFO";
    ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK)); // the writer it waits for, so the test can end
  }
  const auto from_fifo = loading.get();
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_EQ(from_fifo.error().message,
            "cannot read the API key from file " + fifo.string() + ": it is a FIFO, not a regular file");

  const auto from_zero = load_api_key({"/dev/zero", std::nullopt, std::nullopt});
  ASSERT_FALSE(from_zero.ok());
  EXPECT_EQ(from_zero.error().message,
            "cannot read the API key from file /dev/zero: it is a character device, not a regular file");

  test::write_text(dir / "big", std::string(5000, 'k'));
  const auto from_big = load_api_key({dir / "big", std::nullopt, std::nullopt});
  ASSERT_FALSE(from_big.ok());
  EXPECT_EQ(from_big.error().message, "cannot read the API key from file " + (dir / "big").string() +
                                          ": it is larger than 4 KiB (4096 bytes), too large for a secret");
}
