#include "publish/ssh_key.hpp"

#include <gtest/gtest.h>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

// A key made by ssh-keygen (openssh-client): `arguments` choose its type and format.
std::filesystem::path make_key(const test::TempDir &dir, const std::string &name, std::vector<std::string> arguments) {
  const auto file = dir / name;
  std::vector<std::string> argv = {"ssh-keygen", "-q", "-N", "", "-C", "test", "-f", file.string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const auto made = test::run_process(argv);
  EXPECT_EQ(made.exit_code, 0) << made.err;
  return file;
}

} // namespace

TEST(SshKey, TheAlgorithmIsReadFromEveryFormatSshKeygenWrites) {
  test::TempDir dir;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-t", "ed25519"}, "ssh-ed25519"},
      {{"-t", "ecdsa", "-b", "256"}, "ecdsa-sha2-nistp256"},
      {{"-t", "ecdsa", "-b", "384"}, "ecdsa-sha2-nistp384"},
      {{"-t", "rsa", "-b", "2048"}, "ssh-rsa"},
      {{"-t", "rsa", "-b", "2048", "-m", "PEM"}, "ssh-rsa"},
      {{"-t", "rsa", "-b", "2048", "-m", "PKCS8"}, "ssh-rsa"},
      {{"-t", "ecdsa", "-m", "PEM"}, "ecdsa-sha2"},
      {{"-t", "ecdsa", "-m", "PKCS8"}, "ecdsa-sha2"},
  };
  int n = 0;
  for (const auto &[arguments, expected] : cases) {
    const auto file = make_key(dir, "key" + std::to_string(n++), arguments);
    auto algorithm = ssh_key_algorithm(test::read_text(file));
    ASSERT_TRUE(algorithm.ok()) << arguments[1] << ": " << algorithm.error().message;
    EXPECT_EQ(*algorithm, expected) << file;
  }
}

TEST(SshKey, EdAndEcdsaKeysPassTheCheck) {
  test::TempDir dir;
  auto ed25519 = check_ssh_key_file(make_key(dir, "ed", {"-t", "ed25519"}), "repo.push.ssh_key_file");
  ASSERT_TRUE(ed25519.ok()) << ed25519.error().message;
  EXPECT_EQ(*ed25519, "ssh-ed25519");
  EXPECT_TRUE(check_ssh_key_file(make_key(dir, "ec", {"-t", "ecdsa"}), "repo.push.ssh_key_file").ok());
}

TEST(SshKey, AnRsaKeyIsRefusedWithWhatToUseInstead) {
  test::TempDir dir;
  for (const std::string format : {"RFC4716", "PEM", "PKCS8"}) {
    const auto file = make_key(dir, "rsa-" + format, {"-t", "rsa", "-b", "2048", "-m", format});
    auto checked = check_ssh_key_file(file, "repo.push.ssh_key_file");
    ASSERT_FALSE(checked.ok()) << format;
    EXPECT_EQ(checked.error().message,
              "repo.push.ssh_key_file " + file.string() +
                  " is an RSA key, which cannot work: libssh2 1.10 (Debian 12) signs RSA authentication only with "
                  "SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse; use an ed25519 key (ssh-keygen -t ed25519) "
                  "or an ECDSA key (ssh-keygen -t ecdsa)");
  }
}

TEST(SshKey, APassphraseAMissingFileAndAPublicKeyAreNamed) {
  test::TempDir dir;
  const auto locked = dir / "locked";
  ASSERT_EQ(
      test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "secret phrase", "-f", locked.string()}).exit_code,
      0);
  auto checked = check_ssh_key_file(locked, "repo.push.ssh_key_file");
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find(locked.string() + " is a private key protected by a passphrase (ssh-ed25519)"),
            std::string::npos)
      << checked.error().message;

  EXPECT_EQ(check_ssh_key_file(dir / "missing", "repo.push.ssh_key_file").error().message,
            "cannot read repo.push.ssh_key_file " + (dir / "missing").string() + ": No such file or directory");
  const auto public_key = dir / "locked.pub";
  EXPECT_EQ(check_ssh_key_file(public_key, "repo.push.ssh_key_file").error().message,
            "repo.push.ssh_key_file " + public_key.string() +
                " is not a private key (no OpenSSH or PEM private key block)");
}

TEST(SshKey, ADsaKeyIsRefusedToo) {
  test::TempDir dir;
  const auto file = make_key(dir, "dsa", {"-t", "dsa"});
  auto checked = check_ssh_key_file(file, "systemd credential push-ssh-key");
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message, "systemd credential push-ssh-key " + file.string() +
                                         " is a DSA key, which OpenSSH 7.0 and later refuse; use an ed25519 key "
                                         "(ssh-keygen -t ed25519) or an ECDSA key (ssh-keygen -t ecdsa)");
}
