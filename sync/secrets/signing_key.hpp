#pragma once

#include <openssl/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

/// The ed25519 key that signs commits: its private half held by OpenSSL, its public half in SSH's
/// wire format.
class SigningKey {
public:
  // Reads an unencrypted OpenSSH ed25519 private key (ssh-keygen -t ed25519 -N ''). `what` names
  // the file in errors: "repo.signing_key_file /k is protected by a passphrase; ...".
  static Result<std::shared_ptr<const SigningKey>> load(const std::filesystem::path &file, const std::string &what);

  // The 64-byte ed25519 signature of `data` (RFC 8032).
  Result<std::string> sign(std::string_view data) const;
  // The public key in SSH wire format (string "ssh-ed25519", string the 32 key bytes).
  const std::string &public_blob() const { return m_public_blob; }
  // "ssh-ed25519 AAAA... comment": the public key as ssh-keygen -y prints it.
  std::string public_key_line() const;
  // "SHA256:..." as ssh-keygen -l shows the key.
  std::string fingerprint() const;

private:
  struct KeyFree {
    void operator()(EVP_PKEY *key) const;
  };
  SigningKey(std::unique_ptr<EVP_PKEY, KeyFree> key, std::string public_blob, std::string comment);

  std::unique_ptr<EVP_PKEY, KeyFree> m_key;
  std::string m_public_blob;
  std::string m_comment;
};

} // namespace tasksync
