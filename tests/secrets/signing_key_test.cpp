#include "secrets/signing_key.hpp"

#include <gtest/gtest.h>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class SigningKeyTest : public ::testing::Test {
protected:
  // A key made by ssh-keygen with `args` (type, passphrase, format) at `name`.
  std::filesystem::path keygen(const std::string &name, std::vector<std::string> args) {
    const auto file = m_dir / name;
    args.insert(args.begin(), {"ssh-keygen", "-q", "-C", "mirror@build-host", "-f", file.string()});
    EXPECT_EQ(test::run_process(args).exit_code, 0);
    return file;
  }

  // The error of loading `file`.
  std::string refusal(const std::filesystem::path &file) {
    auto key = SigningKey::load(file, "repo.signing_key_file");
    return key ? "loaded" : key.error().message;
  }

  test::TempDir m_dir;
};

std::string first_line(const std::string &text) { return text.substr(0, text.find('\n')); }

} // namespace

TEST_F(SigningKeyTest, ReadsAnEd25519KeyAndShowsItsPublicHalfAsSshKeygenDoes) {
  const auto file = keygen("signing", {"-t", "ed25519", "-N", ""});
  auto key = SigningKey::load(file, "repo.signing_key_file");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ((*key)->public_key_line(), first_line(test::read_text(m_dir / "signing.pub")));
  const auto listed = test::run_process({"ssh-keygen", "-l", "-f", (m_dir / "signing.pub").string()});
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_EQ(listed.out, "256 " + (*key)->fingerprint() + " mirror@build-host (ED25519)\n");
  auto signature = (*key)->sign("message");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 64u);
}

TEST_F(SigningKeyTest, AKeyThatCannotSignIsRefusedNamingTheFileAndTheReason) {
  const auto missing = m_dir / "missing";
  EXPECT_EQ(refusal(missing), "cannot read repo.signing_key_file " + missing.string() + ": No such file or directory");

  const auto encrypted = keygen("encrypted", {"-t", "ed25519", "-N", "a passphrase"});
  EXPECT_EQ(refusal(encrypted), "repo.signing_key_file " + encrypted.string() +
                                    " is protected by a passphrase, which tasksyncd has none to give: remove it with "
                                    "ssh-keygen -p -N '' -f FILE");

  const auto ecdsa = keygen("ecdsa", {"-t", "ecdsa", "-N", ""});
  EXPECT_EQ(refusal(ecdsa), "repo.signing_key_file " + ecdsa.string() +
                                " is an ecdsa-sha2-nistp256 key; commits are signed with ed25519 keys only "
                                "(ssh-keygen -t ed25519)");

  const auto pem = keygen("pem", {"-t", "ecdsa", "-N", "", "-m", "PEM"});
  EXPECT_NE(refusal(pem).find("repo.signing_key_file " + pem.string() + " is not an OpenSSH private key"),
            std::string::npos)
      << refusal(pem);

  const auto public_half = m_dir / "encrypted.pub";
  EXPECT_NE(refusal(public_half).find(" is not an OpenSSH private key"), std::string::npos) << refusal(public_half);

  const auto truncated = m_dir / "truncated";
  const std::string real = test::read_text(keygen("real", {"-t", "ed25519", "-N", ""}));
  // The BEGIN line and the first two lines of base64 (70 characters each: 35 whole quads).
  std::size_t cut = 0;
  for (int line = 0; line < 3; ++line)
    cut = real.find('\n', cut) + 1;
  test::write_text(truncated, real.substr(0, cut) + "-----END OPENSSH PRIVATE KEY-----\n");
  EXPECT_EQ(refusal(truncated), "repo.signing_key_file " + truncated.string() + " is a truncated OpenSSH private key");

  EXPECT_EQ(refusal("/proc"), "cannot read repo.signing_key_file /proc: it is a directory, not a regular file");
}
