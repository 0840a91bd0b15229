#include "publish/ssh_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <iterator>
#include <memory>

#include "secrets/credential_sources.hpp"
#include "secrets/openssh_key.hpp"
#include "secrets/secret_file.hpp"

namespace tasksync {
namespace {

// OpenSSH's own format names the algorithm in its public half, which is never encrypted.
Result<std::string> openssh_algorithm(const std::string &text) {
  TRY_ASSIGN(const OpensshKey key, parse_openssh_private_key(text));
  if (key.encrypted) {
    return Error{"a private key protected by a passphrase (" + key.algorithm +
                 "); tasksyncd has no passphrase to give: remove it with ssh-keygen -p -N '' -f FILE"};
  }
  return key.algorithm;
}

// PEM: the label says PKCS#1 RSA, SEC 1 EC or DSA; PKCS#8 ("PRIVATE KEY") needs OpenSSL to tell.
Result<std::string> pem_algorithm(const std::string &text) {
  if (text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos ||
      text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos) {
    return Error{"a private key protected by a passphrase; tasksyncd has no passphrase to give: remove it with "
                 "ssh-keygen -p -N '' -f FILE"};
  }
  if (text.find("-----BEGIN RSA PRIVATE KEY-----") != std::string::npos) return std::string("ssh-rsa");
  if (text.find("-----BEGIN DSA PRIVATE KEY-----") != std::string::npos) return std::string("ssh-dss");
  if (text.find("-----BEGIN EC PRIVATE KEY-----") != std::string::npos) return std::string("ecdsa-sha2");
  if (text.find("-----BEGIN PRIVATE KEY-----") == std::string::npos) {
    return Error{"not a private key (no OpenSSH or PEM private key block)"};
  }
  const std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())),
                                                     &BIO_free);
  // An empty passphrase: OpenSSL must never prompt on the daemon's terminal.
  char empty[] = "";
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, empty) : nullptr, &EVP_PKEY_free);
  if (!key) return Error{"a PKCS#8 private key OpenSSL cannot read"};
  switch (EVP_PKEY_get_base_id(key.get())) {
  case EVP_PKEY_RSA: return std::string("ssh-rsa");
  case EVP_PKEY_DSA: return std::string("ssh-dss");
  case EVP_PKEY_EC: return std::string("ecdsa-sha2");
  case EVP_PKEY_ED25519: return std::string("ssh-ed25519");
  default: return Error{"a PKCS#8 private key of a type ssh does not use"};
  }
}

} // namespace

Result<std::string> ssh_key_algorithm(const std::string &text) {
  if (is_openssh_private_key(text)) return openssh_algorithm(text);
  return pem_algorithm(text);
}

Result<std::string> check_ssh_key_file(const std::filesystem::path &file, const std::string &what) {
  TRY_ASSIGN(const std::string text, read_key_file(file, what, kPushSshKeyCredential));
  auto algorithm = ssh_key_algorithm(text);
  if (!algorithm) return Error{what + " " + file.string() + " is " + algorithm.error().message};
  if (*algorithm == "ssh-rsa") {
    return Error{what + " " + file.string() +
                 " is an RSA key, which cannot work: libssh2 1.10 (Debian 12) signs RSA authentication only "
                 "with SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse; use an ed25519 key "
                 "(ssh-keygen -t ed25519) or an ECDSA key (ssh-keygen -t ecdsa)"};
  }
  if (*algorithm == "ssh-dss") {
    return Error{what + " " + file.string() +
                 " is a DSA key, which OpenSSH 7.0 and later refuse; use an ed25519 key (ssh-keygen -t ed25519) "
                 "or an ECDSA key (ssh-keygen -t ecdsa)"};
  }
  return algorithm;
}

} // namespace tasksync
