#include "publish/known_hosts.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "base/base64.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class PusherKnownHostsTest : public ::testing::Test {
protected:
  // A fresh ed25519 key: its raw blob and its known_hosts form ("ssh-ed25519 AAAA...").
  std::pair<std::string, std::string> make_key(const std::string &name) const {
    const auto file = m_dir / name;
    EXPECT_EQ(
        test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file.string()}).exit_code, 0);
    std::string line = test::read_text(file.string() + ".pub");
    line = line.substr(0, line.find_last_not_of(" \n") + 1);
    auto blob = decode_base64(line.substr(line.find(' ') + 1));
    EXPECT_TRUE(blob.ok());
    return {blob.ok() ? *blob : "", line};
  }

  Result<void> check(const std::string &host, const std::string &key) const {
    return check_known_host(host, key, {m_dir / "missing", m_dir / "known_hosts"});
  }

  test::TempDir m_dir;
};

} // namespace

TEST_F(PusherKnownHostsTest, AcceptsOnlyTheListedKeyForTheHost) {
  const auto [key, line] = make_key("host");
  const auto [other_key, other_line] = make_key("other");
  test::write_text(m_dir / "known_hosts", "# comment\n\ngit.example.com,10.0.0.1 " + line +
                                              "\n[git.example.com]:2222 " + other_line +
                                              "\n*.example.org,!bad.example.org " + line + "\n");
  EXPECT_TRUE(check("git.example.com", key).ok());
  EXPECT_TRUE(check("GIT.Example.com", key).ok());
  EXPECT_TRUE(check("10.0.0.1", key).ok());
  EXPECT_TRUE(check("[git.example.com]:2222", other_key).ok());
  EXPECT_TRUE(check("ci.example.org", key).ok());

  auto mismatch = check("git.example.com", other_key);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("does not match known_hosts"), std::string::npos) << mismatch.error().message;
  EXPECT_FALSE(check("[git.example.com]:2222", key).ok());
  auto unknown = check("elsewhere.example.com", key);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("is not in known_hosts"), std::string::npos) << unknown.error().message;
  EXPECT_FALSE(check("bad.example.org", key).ok());
  EXPECT_FALSE(check("git.example.com", "").ok());
}

TEST_F(PusherKnownHostsTest, HashedEntriesMatch) {
  const auto [key, line] = make_key("host");
  test::write_text(m_dir / "known_hosts", "git.example.com " + line + "\n[git.example.com]:2222 " + line + "\n");
  ASSERT_EQ(test::run_process({"ssh-keygen", "-q", "-H", "-f", (m_dir / "known_hosts").string()}).exit_code, 0);
  ASSERT_EQ(test::read_text(m_dir / "known_hosts").find("example"), std::string::npos);
  EXPECT_TRUE(check("git.example.com", key).ok());
  EXPECT_TRUE(check("[git.example.com]:2222", key).ok());
  EXPECT_FALSE(check("other.example.com", key).ok());
}

TEST_F(PusherKnownHostsTest, ARevokedKeyIsRefusedEvenWhenListed) {
  const auto [key, line] = make_key("host");
  test::write_text(m_dir / "known_hosts", "git.example.com " + line + "\n@revoked * " + line + "\n");
  auto revoked = check("git.example.com", key);
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.error().message.find("@revoked"), std::string::npos) << revoked.error().message;
}

TEST_F(PusherKnownHostsTest, AKeyListedElsewhereIsAcceptedUnlessRevokedHere) {
  const auto [key, line] = make_key("host");
  const std::vector<std::filesystem::path> files = {m_dir / "known_hosts"};
  test::write_text(m_dir / "known_hosts", "other.example.com " + line + "\n");
  EXPECT_FALSE(check_host_key("git.example.com", matches_key(key), files).ok());
  EXPECT_TRUE(check_host_key("git.example.com", matches_key(key), files, true).ok());

  test::write_text(m_dir / "known_hosts", "@revoked * " + line + "\n");
  auto revoked = check_host_key("git.example.com", matches_key(key), files, true);
  ASSERT_FALSE(revoked.ok());
  EXPECT_NE(revoked.error().message.find("@revoked"), std::string::npos) << revoked.error().message;
}

TEST_F(PusherKnownHostsTest, AKeyKnownOnlyByItsSha256MatchesTheListedKey) {
  const auto [key, line] = make_key("host");
  const auto [other_key, other_line] = make_key("other");
  test::write_text(m_dir / "known_hosts", "git.example.com " + line + "\n");
  const auto sha256 = [](const std::string &blob) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(blob.data(), blob.size(), digest, &length, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<const char *>(digest), length);
  };
  const std::vector<std::filesystem::path> files = {m_dir / "known_hosts"};
  EXPECT_TRUE(check_host_key("git.example.com", matches_key_sha256(sha256(key)), files).ok());
  EXPECT_FALSE(check_host_key("git.example.com", matches_key_sha256(sha256(other_key)), files).ok());
}

TEST_F(PusherKnownHostsTest, AHostIsListedByAnyLineNamingItWhateverTheKey) {
  const auto [key, line] = make_key("host");
  test::write_text(m_dir / "known_hosts", "[git.example.com]:2222 " + line + "\n");
  const auto hashed = m_dir / "hashed";
  test::write_text(hashed, "other.example.com " + line + "\n");
  ASSERT_EQ(test::run_process({"ssh-keygen", "-q", "-H", "-f", hashed.string()}).exit_code, 0);
  EXPECT_TRUE(is_host_listed("[git.example.com]:2222", {m_dir / "missing", m_dir / "known_hosts"}));
  EXPECT_FALSE(is_host_listed("git.example.com", {m_dir / "known_hosts"}));
  EXPECT_TRUE(is_host_listed("other.example.com", {hashed}));
  EXPECT_FALSE(is_host_listed("git.example.com", {m_dir / "missing"}));
}

TEST_F(PusherKnownHostsTest, TheConfiguredFileComesFirstThenTheSystemsThenHomes) {
  const auto files = known_hosts_files(m_dir / "known_hosts");
  ASSERT_GE(files.size(), 2u);
  EXPECT_EQ(files[0], m_dir / "known_hosts");
  EXPECT_EQ(files[1], "/etc/ssh/ssh_known_hosts");
  EXPECT_EQ(known_hosts_files().front(), "/etc/ssh/ssh_known_hosts");
}
