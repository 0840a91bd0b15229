#include "secrets/openssh_key.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/base64.hpp"
#include "base/ssh_wire.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----\n";
const std::string kMagic("openssh-key-v1\0", 15);

class OpensshKeyTest : public ::testing::Test {
protected:
  /// A key file ssh-keygen wrote, and its public half's base64-decoded blob (the .pub file's
  /// middle field).
  struct Generated {
    std::string private_file;
    std::string public_blob;
  };

  // A key made by `ssh-keygen -t type` with `passphrase`.
  Generated keygen(const std::string &type, const std::string &passphrase = "") {
    const auto file = m_dir / type;
    const auto made =
        test::run_process({"ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "test@host", "-f", file.string()});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    const std::string pub = test::read_text(file.string() + ".pub");
    const std::size_t start = pub.find(' ') + 1;
    auto blob = decode_base64(pub.substr(start, pub.find(' ', start) - start));
    EXPECT_TRUE(blob.ok());
    return {test::read_text(file), blob ? *blob : std::string()};
  }

  test::TempDir m_dir;
};

// `bytes` armoured as ssh-keygen writes a key: base64 lines of 70 between BEGIN and END.
std::string armoured(const std::string &bytes) {
  const std::string base64 = encode_base64(bytes);
  std::string text(kBegin);
  for (std::size_t at = 0; at < base64.size(); at += 70)
    text += base64.substr(at, 70) + "\n";
  return text + std::string(kEnd);
}

// The decoded bytes of an armoured key.
std::string dearmoured(const std::string &text) {
  const std::size_t body = text.find(kBegin) + kBegin.size();
  return *decode_base64(text.substr(body, text.find("-----END") - body));
}

// A public blob of `algorithm` with a 32-byte key.
std::string public_blob(const std::string &algorithm) {
  std::string blob;
  put_wire_string(blob, algorithm);
  put_wire_string(blob, std::string(32, 'k'));
  return blob;
}

// An unencrypted key file's bytes holding `blobs` (its count says how many), then `private_section`.
std::string key_bytes(const std::vector<std::string> &blobs, const std::string &private_section) {
  std::string bytes = kMagic;
  put_wire_string(bytes, "none");
  put_wire_string(bytes, "none");
  put_wire_string(bytes, "");
  put_wire_u32(bytes, static_cast<std::uint32_t>(blobs.size()));
  for (const auto &blob : blobs)
    put_wire_string(bytes, blob);
  put_wire_string(bytes, private_section);
  return bytes;
}

// The error of parsing `text`, which must fail.
std::string refusal(std::string_view text) {
  auto key = parse_openssh_private_key(text);
  return key ? "parsed" : key.error().message;
}

} // namespace

TEST_F(OpensshKeyTest, ReadsAnEd25519KeyFromSshKeygen) {
  const Generated generated = keygen("ed25519");
  auto key = parse_openssh_private_key(generated.private_file);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->algorithm, "ssh-ed25519");
  EXPECT_FALSE(key->encrypted);
  EXPECT_EQ(key->public_blob, generated.public_blob);
  // The private half begins with two equal check numbers, then the key's own type.
  WireReader in(key->private_section);
  const auto check1 = in.u32();
  const auto check2 = in.u32();
  ASSERT_TRUE(check1 && check2);
  EXPECT_EQ(*check1, *check2);
  EXPECT_EQ(in.string(), "ssh-ed25519");
}

TEST_F(OpensshKeyTest, ReadsAnEcdsaKeyFromSshKeygen) {
  const Generated generated = keygen("ecdsa");
  auto key = parse_openssh_private_key(generated.private_file);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->algorithm, "ecdsa-sha2-nistp256");
  EXPECT_FALSE(key->encrypted);
  EXPECT_EQ(key->public_blob, generated.public_blob);
  EXPECT_FALSE(key->private_section.empty());
}

TEST_F(OpensshKeyTest, AnEncryptedKeyShowsItsPublicHalfAndNoPrivateOne) {
  const Generated generated = keygen("ed25519", "correct horse battery staple");
  auto key = parse_openssh_private_key(generated.private_file);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->algorithm, "ssh-ed25519");
  EXPECT_TRUE(key->encrypted);
  EXPECT_EQ(key->public_blob, generated.public_blob);
  EXPECT_TRUE(key->private_section.empty());
}

TEST_F(OpensshKeyTest, TextAroundTheBlockAndCrlfLineEndsDoNotMatter) {
  const Generated generated = keygen("ed25519");
  std::string crlf;
  for (const char c : generated.private_file)
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (const std::string &text : {"a comment\n" + generated.private_file + "trailing text\n", crlf}) {
    auto key = parse_openssh_private_key(text);
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(key->public_blob, generated.public_blob);
  }
}

TEST(OpensshKey, TextWithoutTheBeginLineIsNotAnOpensshKey) {
  for (const std::string_view text :
       {"", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA test@host\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END "
        "RSA "
        "PRIVATE KEY-----\n",
        "-----BEGIN OPENSSH PUBLIC KEY-----\n"}) {
    EXPECT_FALSE(is_openssh_private_key(text)) << text;
    EXPECT_EQ(refusal(text), "not an OpenSSH private key (no -----BEGIN OPENSSH PRIVATE KEY----- line)") << text;
  }
  EXPECT_TRUE(is_openssh_private_key(armoured(key_bytes({public_blob("ssh-ed25519")}, "p"))));
}

TEST(OpensshKey, ABeginLineWithoutItsEndIsRefused) {
  const std::string text = armoured(key_bytes({public_blob("ssh-ed25519")}, "p"));
  EXPECT_EQ(refusal(text.substr(0, text.find("-----END"))), "an OpenSSH private key without its END line");
  // An END line before the BEGIN line is not this block's end.
  EXPECT_EQ(refusal(std::string(kEnd) + text.substr(0, text.find("-----END"))),
            "an OpenSSH private key without its END line");
}

TEST(OpensshKey, ABodyThatIsNotBase64IsRefused) {
  const std::string text = armoured(key_bytes({public_blob("ssh-ed25519")}, "p"));
  for (const char bad : {'*', '-', '_', '.', '\0'}) {
    std::string broken = text;
    broken[kBegin.size() + 10] = bad;
    EXPECT_EQ(refusal(broken), "an OpenSSH private key that is not valid base64") << bad;
  }
}

TEST(OpensshKey, AnotherMagicIsAnUnknownVersion) {
  for (const std::string &magic : {std::string("openssh-key-v2\0", 15), std::string("openssh-key-v1X", 15),
                                   std::string("OPENSSH-KEY-V1\0", 15), std::string("openssh-key-v1")}) {
    std::string bytes = key_bytes({public_blob("ssh-ed25519")}, "p");
    bytes.replace(0, kMagic.size(), magic);
    const std::string error = refusal(armoured(bytes));
    EXPECT_TRUE(error == "an OpenSSH private key of an unknown version" || error == "a truncated OpenSSH private key")
        << error;
    if (magic.size() == kMagic.size()) {
      EXPECT_EQ(error, "an OpenSSH private key of an unknown version");
    }
  }
  EXPECT_EQ(refusal(armoured("")), "an OpenSSH private key of an unknown version");
}

TEST_F(OpensshKeyTest, AKeyCutShortAnywhereIsRefused) {
  // Every prefix: inside the magic, after it, after each field and inside each of them.
  const std::string bytes = dearmoured(keygen("ed25519").private_file);
  ASSERT_TRUE(parse_openssh_private_key(armoured(bytes)).ok());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    const std::string error = refusal(armoured(bytes.substr(0, size)));
    EXPECT_EQ(error,
              size < kMagic.size() ? "an OpenSSH private key of an unknown version" : "a truncated OpenSSH private key")
        << "cut after " << size << " of " << bytes.size() << " bytes";
  }
}

TEST(OpensshKey, APublicBlobWithoutAnAlgorithmIsTruncated) {
  EXPECT_EQ(refusal(armoured(key_bytes({""}, "p"))), "a truncated OpenSSH private key");
  EXPECT_EQ(refusal(armoured(key_bytes({std::string("\0\0\0\x09ssh", 7)}, "p"))), "a truncated OpenSSH private key");
}

TEST(OpensshKey, AFileHoldingTwoKeysIsRefused) {
  const std::string two = key_bytes({public_blob("ssh-ed25519"), public_blob("ssh-ed25519")}, "private halves");
  EXPECT_EQ(refusal(armoured(two)), "an OpenSSH private key file holding 2 keys, not one");
  // And none: what follows the count is then read as a public key, and the private list is missing.
  EXPECT_FALSE(parse_openssh_private_key(armoured(key_bytes({}, "private half"))).ok());
}

TEST(OpensshKey, ACraftedKeyReportsItsParts) {
  const std::string blob = public_blob("sk-ssh-ed25519@openssh.com");
  auto key = parse_openssh_private_key(armoured(key_bytes({blob}, std::string("priv\0ate", 8))));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->algorithm, "sk-ssh-ed25519@openssh.com");
  EXPECT_FALSE(key->encrypted);
  EXPECT_EQ(key->public_blob, blob);
  EXPECT_EQ(key->private_section, std::string("priv\0ate", 8));
}
