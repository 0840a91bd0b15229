#include "git/ssh_signature.hpp"

#include <openssl/sha.h>

#include "base/base64.hpp"
#include "base/ssh_wire.hpp"

namespace tasksync {
namespace {

constexpr std::string_view kMagic = "SSHSIG";
constexpr std::uint32_t kVersion = 1;
constexpr std::string_view kHashAlgorithm = "sha512";
constexpr std::size_t kArmorLine = 70; // sshbuf_dtob64's line length

std::string sha512(std::string_view data) {
  std::string digest(SHA512_DIGEST_LENGTH, '\0');
  SHA512(reinterpret_cast<const unsigned char *>(data.data()), data.size(),
         reinterpret_cast<unsigned char *>(digest.data()));
  return digest;
}

} // namespace

Result<std::string> ssh_signature(const SigningKey &key, std::string_view message, std::string_view name_space) {
  // What the key signs (sshsig_wrap_sign in OpenSSH's sshsig.c): the magic, the namespace, a
  // reserved empty string, the hash algorithm and the message's hash.
  std::string signed_data(kMagic);
  put_wire_string(signed_data, name_space);
  put_wire_string(signed_data, "");
  put_wire_string(signed_data, kHashAlgorithm);
  put_wire_string(signed_data, sha512(message));
  TRY_ASSIGN(const std::string raw, key.sign(signed_data));

  std::string signature_blob; // as sshkey_sign returns it: the algorithm, then the raw signature
  put_wire_string(signature_blob, "ssh-ed25519");
  put_wire_string(signature_blob, raw);
  std::string blob(kMagic);
  put_wire_u32(blob, kVersion);
  put_wire_string(blob, key.public_blob());
  put_wire_string(blob, name_space);
  put_wire_string(blob, "");
  put_wire_string(blob, kHashAlgorithm);
  put_wire_string(blob, signature_blob);

  const std::string encoded = encode_base64(blob);
  std::string armored = "-----BEGIN SSH SIGNATURE-----\n";
  for (std::size_t at = 0; at < encoded.size(); at += kArmorLine) {
    armored.append(encoded, at, kArmorLine);
    armored += '\n';
  }
  armored += "-----END SSH SIGNATURE-----";
  return armored;
}

std::string allowed_signers_line(const SigningKey &key, std::string_view principal) {
  return std::string(principal) + " namespaces=\"" + std::string(kGitSignatureNamespace) + "\" " +
         key.public_key_line();
}

} // namespace tasksync
