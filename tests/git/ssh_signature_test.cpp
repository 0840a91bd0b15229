#include "git/ssh_signature.hpp"

#include <gtest/gtest.h>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

class SshSignatureTest : public ::testing::Test {
protected:
  SshSignatureTest() {
    EXPECT_EQ(test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", m_key_file.string()})
                  .exit_code,
              0);
    auto key = SigningKey::load(m_key_file, "the key");
    EXPECT_TRUE(key.ok()) << key.error().message;
    if (key) m_key = *key;
  }

  // `ssh-keygen -Y verify` of `signature` over `message` in namespace `name_space`, trusting
  // the key for principal "mirror@example.com".
  test::ProcessResult verify(const std::string &message, const std::string &signature,
                             const std::string &name_space = "git") {
    test::write_text(m_dir / "allowed_signers", allowed_signers_line(*m_key, "mirror@example.com") + "\n");
    test::write_text(m_dir / "message", message);
    test::write_text(m_dir / "message.sig", signature + "\n");
    return test::run_process({"sh", "-c",
                              "ssh-keygen -Y verify -f \"$1/allowed_signers\" -I mirror@example.com -n \"$2\" -s "
                              "\"$1/message.sig\" < \"$1/message\"",
                              "sh", m_dir.path().string(), name_space});
  }

  test::TempDir m_dir;
  std::filesystem::path m_key_file = m_dir / "key";
  std::shared_ptr<const SigningKey> m_key;
};

} // namespace

// Ed25519 signatures are deterministic (RFC 8032), so ours can equal ssh-keygen's to the byte.
TEST_F(SshSignatureTest, IsWhatSshKeygenSignWrites) {
  ASSERT_TRUE(m_key);
  const std::string message = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nA message\n";
  test::write_text(m_dir / "message", message);
  ASSERT_EQ(test::run_process({"ssh-keygen", "-q", "-Y", "sign", "-f", m_key_file.string(), "-n", "git",
                               (m_dir / "message").string()})
                .exit_code,
            0);
  auto ours = ssh_signature(*m_key, message, kGitSignatureNamespace);
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  EXPECT_EQ(*ours + "\n", test::read_text(m_dir / "message.sig"));
}

TEST_F(SshSignatureTest, SshKeygenVerifiesItOnlyForTheSameMessageAndNamespace) {
  ASSERT_TRUE(m_key);
  const std::string message(5000, 'x'); // several lines of armour
  auto signature = ssh_signature(*m_key, message, kGitSignatureNamespace);
  ASSERT_TRUE(signature.ok());
  const auto good = verify(message, *signature);
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("Good \"git\" signature for mirror@example.com"), std::string::npos) << good.out;
  EXPECT_NE(verify(message + "y", *signature).exit_code, 0);
  EXPECT_NE(verify(message, *signature, "file").exit_code, 0);
}

TEST_F(SshSignatureTest, TheAllowedSignersLineNamesThePrincipalTheGitNamespaceAndTheKey) {
  ASSERT_TRUE(m_key);
  std::string public_key = test::read_text(m_dir / "key.pub");
  public_key.erase(public_key.find_last_not_of(" \n") + 1); // ssh-keygen ends an empty comment with a space
  EXPECT_EQ(allowed_signers_line(*m_key, "mirror@example.com"), "mirror@example.com namespaces=\"git\" " + public_key);
}
