#include "secrets/credentials.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "config/config.hpp"
#include "secrets/api_key.hpp"
#include "secrets/secret_file.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

Config push_config(const std::string &push_keys = "") {
  auto config = parse_config("repo: {push: {remote: 'ssh://git@host/x.git'" + push_keys +
                                 "}}\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n",
                             "config.yaml", "/etc/tasksync");
  EXPECT_TRUE(config.ok()) << config.error().message;
  return config ? *config : Config{};
}

} // namespace

TEST(Credentials, PushKeyAndTokenComeFromTheCredentialsDirectoryWhenTheConfigNamesNone) {
  test::TempDir dir;
  test::write_text(dir / "push-ssh-key", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  test::write_text(dir / "push-token", "token\n");
  Config config = push_config();
  resolve_file_credentials(config, {dir.path(), std::nullopt});
  EXPECT_EQ(*config.repo.push->ssh_key_file, dir / "push-ssh-key");
  EXPECT_EQ(config.repo.push->ssh_key_name(), "systemd credential push-ssh-key");
  EXPECT_EQ(*config.repo.push->token_file, dir / "push-token");
  EXPECT_EQ(config.repo.push->token_name(), "systemd credential push-token");

  Config named = push_config(", ssh_key_file: /srv/deploy-key");
  resolve_file_credentials(named, {dir.path(), std::nullopt});
  EXPECT_EQ(*named.repo.push->ssh_key_file, "/srv/deploy-key");
  EXPECT_EQ(named.repo.push->ssh_key_name(), "repo.push.ssh_key_file");
}

TEST(Credentials, TheUnitsPlaceholderCountsAsAbsent) {
  // The unit's SetCredential=push-token:\n fallback, when /etc/tasksync/push-token is missing.
  test::TempDir dir;
  test::write_text(dir / "push-token", "\n");
  test::write_text(dir / "push-ssh-key", "");
  EXPECT_FALSE(find_credential({dir.path(), std::nullopt}, kPushTokenCredential));
  EXPECT_FALSE(find_credential({dir.path(), std::nullopt}, kPushSshKeyCredential));
  Config config = push_config();
  resolve_file_credentials(config, {dir.path(), std::nullopt});
  EXPECT_FALSE(config.repo.push->ssh_key_file);
  EXPECT_FALSE(config.repo.push->token_file);
}

TEST(Credentials, OutsideTheUnitTheFilesTheUnitLoadsAreLookedAt) {
  test::TempDir sources;
  test::write_text(sources / "push-ssh-key", "key");
  auto found = find_credential({std::nullopt, sources.path()}, kPushSshKeyCredential);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->file, sources / "push-ssh-key");
  EXPECT_EQ(found->source, "the unit's credential push-ssh-key");
  EXPECT_FALSE(find_credential({std::nullopt, sources.path()}, kPushTokenCredential));
  // Inside the unit only $CREDENTIALS_DIRECTORY counts.
  test::TempDir directory;
  EXPECT_FALSE(find_credential({directory.path(), std::nullopt}, kPushSshKeyCredential));
}

TEST(Credentials, TheApiKeyAtTheUnitsSourceCountsOutsideTheUnit) {
  test::TempDir sources;
  test::write_text(sources / "anchor-api-key", "the-key\n");
  ApiKeySources key_sources;
  key_sources.credentials.unit_sources = sources.path();
  auto key = load_api_key(key_sources);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->value, "the-key");
  EXPECT_EQ(key->source, "the unit's credential anchor-api-key " + (sources / "anchor-api-key").string());

  test::TempDir empty;
  key_sources.credentials.unit_sources = empty.path();
  auto missing = load_api_key(key_sources);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("$CREDENTIALS_DIRECTORY is not set (not run by the unit), and " +
                                         (empty / "anchor-api-key").string() +
                                         ", which the unit loads, does not exist"),
            std::string::npos)
      << missing.error().message;
}

TEST(Credentials, AnUnreadableFileIsNamedWithTheOsReason) {
  test::TempDir dir;
  EXPECT_EQ(check_readable(dir / "missing", "repo.push.ssh_key_file", kPushSshKeyCredential).error().message,
            "cannot read repo.push.ssh_key_file " + (dir / "missing").string() + ": No such file or directory");
  EXPECT_EQ(check_readable(dir.path(), "repo.push.token_file").error().message,
            "cannot read repo.push.token_file " + dir.path().string() + ": it is a directory, not a regular file");
  test::write_text(dir / "key", "x");
  EXPECT_TRUE(check_readable(dir / "key", "repo.push.ssh_key_file").ok());
}

TEST(Credentials, TheSigningKeyComesFromItsCredentialUnlessTheConfigNamesAFile) {
  test::TempDir dir;
  test::write_text(dir / "signing-key", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
  Config config = push_config();
  resolve_file_credentials(config, {dir.path(), std::nullopt});
  ASSERT_TRUE(config.repo.signing_key_file);
  EXPECT_EQ(*config.repo.signing_key_file, dir / "signing-key");
  EXPECT_EQ(config.repo.signing_key_name(), "systemd credential signing-key");

  auto named = parse_config("repo: {signing_key_file: /srv/sign}\ntasks: [3c90c3cc-0d44-4b50-8888-8dd25736052a]\n",
                            "config.yaml", "/etc/tasksync");
  ASSERT_TRUE(named.ok()) << named.error().message;
  resolve_file_credentials(*named, {dir.path(), std::nullopt});
  EXPECT_EQ(*named->repo.signing_key_file, "/srv/sign");
  EXPECT_EQ(named->repo.signing_key_name(), "repo.signing_key_file");

  test::write_text(dir / "signing-key", "\n"); // the unit's placeholder: signing stays off
  Config unsigned_config = push_config();
  resolve_file_credentials(unsigned_config, {dir.path(), std::nullopt});
  EXPECT_FALSE(unsigned_config.repo.signing_key_file);
}

TEST(Credentials, ASymlinkInTheCredentialDirectoryIsRefusedElsewhereFollowed) {
  test::TempDir dir;
  test::write_text(dir / "target", "the-token\n");
  std::filesystem::create_directory(dir / "credentials");
  std::filesystem::create_symlink(dir / "target", dir / "credentials/push-token");
  const auto file = dir / "credentials/push-token";
  const char *before = std::getenv("CREDENTIALS_DIRECTORY");
  const std::optional<std::string> saved = before ? std::optional<std::string>(before) : std::nullopt;
  ::setenv("CREDENTIALS_DIRECTORY", (dir / "credentials").c_str(), 1);
  const auto refused = read_secret(file, "systemd credential push-token", kPushTokenCredential);
  if (saved)
    ::setenv("CREDENTIALS_DIRECTORY", saved->c_str(), 1);
  else
    ::unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "cannot read systemd credential push-token " + file.string() +
                                         ": it is a symbolic link, not a regular file");
  // Named by a config key, the same path is the operator's: the symlink is followed.
  const auto followed = read_secret(file, "repo.push.token_file");
  ASSERT_TRUE(followed.ok()) << followed.error().message;
  EXPECT_EQ(*followed, "the-token");
}
