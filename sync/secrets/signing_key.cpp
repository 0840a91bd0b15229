#include "secrets/signing_key.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include "base/base64.hpp"
#include "base/ssh_wire.hpp"
#include "secrets/credential_sources.hpp"
#include "secrets/openssh_key.hpp"
#include "secrets/secret_file.hpp"

namespace tasksync {
namespace {

constexpr std::string_view kEd25519 = "ssh-ed25519";
constexpr std::size_t kPublicBytes = 32;
constexpr std::size_t kPrivateBytes = 64; // OpenSSH keeps the 32-byte seed, then the public key

/// The ed25519 key of an OpenSSH private section.
struct Ed25519Private {
  std::string seed;
  std::string comment;
};

// The private section: two equal check integers (they differ when a passphrase was wrong, or the
// file is damaged), then string "ssh-ed25519", string public key, string seed + public key,
// string comment (PROTOCOL.key; sshkey_private_deserialize in OpenSSH's sshkey.c).
Result<Ed25519Private> read_private_section(std::string_view section, std::string_view public_key) {
  WireReader in(section);
  const auto check1 = in.u32();
  const auto check2 = in.u32();
  const auto fields = read_wire_strings<4>(in); // type, public key, seed + public key, comment
  if (!check1 || !check2 || !fields) return Error{"a truncated OpenSSH private key"};
  if (*check1 != *check2) return Error{"a damaged OpenSSH private key (its check integers differ)"};
  const auto &[type, public_half, private_half, comment] = *fields;
  if (type != kEd25519 || public_half.size() != kPublicBytes || private_half.size() != kPrivateBytes ||
      public_half != public_key || private_half.substr(kPublicBytes) != public_key) {
    return Error{"a damaged OpenSSH private key (its private half does not match its public key)"};
  }
  return Ed25519Private{std::string(private_half.substr(0, kPublicBytes)), std::string(comment)};
}

} // namespace

void SigningKey::KeyFree::operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }

SigningKey::SigningKey(std::unique_ptr<EVP_PKEY, KeyFree> key, std::string public_blob, std::string comment)
    : m_key(std::move(key)), m_public_blob(std::move(public_blob)), m_comment(std::move(comment)) {}

Result<std::shared_ptr<const SigningKey>> SigningKey::load(const std::filesystem::path &file, const std::string &what) {
  TRY_ASSIGN(std::string text, read_key_file(file, what, kSigningKeyCredential));
  const std::string named = what + " " + file.string();
  if (!is_openssh_private_key(text)) {
    return Error{named + " is not an OpenSSH private key (no -----BEGIN OPENSSH PRIVATE KEY----- line); make one with "
                         "ssh-keygen -t ed25519 -N '' -f FILE"};
  }
  auto parsed = parse_openssh_private_key(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!parsed) return Error{named + " is " + parsed.error().message};
  if (parsed->algorithm != kEd25519) {
    return Error{named + " is an " + parsed->algorithm +
                 " key; commits are signed with ed25519 keys only (ssh-keygen -t ed25519)"};
  }
  if (parsed->encrypted) {
    return Error{named + " is protected by a passphrase, which tasksyncd has none to give: remove it with "
                         "ssh-keygen -p -N '' -f FILE"};
  }
  auto public_key = WireReader(parsed->public_blob);
  const auto type = public_key.string();
  const auto key_bytes = public_key.string();
  if (!type || !key_bytes || key_bytes->size() != kPublicBytes)
    return Error{named + " is a damaged OpenSSH private key"};
  auto secret = read_private_section(parsed->private_section, *key_bytes);
  OPENSSL_cleanse(parsed->private_section.data(), parsed->private_section.size());
  if (!secret) return Error{named + " is " + secret.error().message};
  std::unique_ptr<EVP_PKEY, KeyFree> key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char *>(secret->seed.data()), secret->seed.size()));
  OPENSSL_cleanse(secret->seed.data(), secret->seed.size());
  if (!key) return Error{named + ": OpenSSL cannot use its ed25519 key"};
  return std::shared_ptr<const SigningKey>(
      new SigningKey(std::move(key), std::move(parsed->public_blob), std::move(secret->comment)));
}

Result<std::string> SigningKey::sign(std::string_view data) const {
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string signature(kPrivateBytes, '\0');
  std::size_t length = signature.size();
  // Ed25519 takes no digest of its own (nullptr) and signs in one shot.
  if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, m_key.get()) != 1 ||
      EVP_DigestSign(context.get(), reinterpret_cast<unsigned char *>(signature.data()), &length,
                     reinterpret_cast<const unsigned char *>(data.data()), data.size()) != 1) {
    return Error{"OpenSSL could not sign with the ed25519 key"};
  }
  signature.resize(length);
  return signature;
}

std::string SigningKey::fingerprint() const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char *>(m_public_blob.data()), m_public_blob.size(), digest);
  std::string encoded = encode_base64(std::string_view(reinterpret_cast<const char *>(digest), sizeof digest));
  encoded.erase(encoded.find_last_not_of('=') + 1); // ssh-keygen leaves the padding out
  return "SHA256:" + encoded;
}

std::string SigningKey::public_key_line() const {
  std::string line = std::string(kEd25519) + " " + encode_base64(m_public_blob);
  // A comment with a control character (a line break) could split the line it is printed in.
  const bool printable =
      std::none_of(m_comment.begin(), m_comment.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  if (!m_comment.empty() && printable) line += " " + m_comment;
  return line;
}

} // namespace tasksync
