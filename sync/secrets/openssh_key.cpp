#include "secrets/openssh_key.hpp"

#include "base/base64.hpp"

namespace tasksync {
namespace {

constexpr std::string_view kBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEnd = "-----END OPENSSH PRIVATE KEY-----";

} // namespace

bool is_openssh_private_key(std::string_view text) { return text.find(kBegin) != std::string_view::npos; }

Result<OpensshKey> parse_openssh_private_key(std::string_view text) {
  const std::size_t begin = text.find(kBegin);
  if (begin == std::string_view::npos) return Error{"not an OpenSSH private key (no " + std::string(kBegin) + " line)"};
  const std::size_t body = begin + kBegin.size();
  const std::size_t end = text.find(kEnd, body);
  if (end == std::string_view::npos) return Error{"an OpenSSH private key without its END line"};
  auto decoded = decode_base64(text.substr(body, end - body));
  if (!decoded) return Error{"an OpenSSH private key that is not valid base64"};
  // "openssh-key-v1\0", cipher, kdf, kdf options, number of keys, the public keys, then the
  // private list (encrypted with the cipher unless it is "none").
  constexpr std::string_view kMagic("openssh-key-v1\0", 15);
  WireReader in(*decoded);
  if (in.bytes(kMagic.size()) != kMagic) return Error{"an OpenSSH private key of an unknown version"};
  const auto ciphering = read_wire_strings<3>(in); // cipher, kdf, kdf options
  const auto count = in.u32();
  const auto keys = read_wire_strings<2>(in); // the public key, the private list
  if (!ciphering || !count || !keys) return Error{"a truncated OpenSSH private key"};
  if (*count != 1) return Error{"an OpenSSH private key file holding " + std::to_string(*count) + " keys, not one"};
  const auto &[public_blob, private_section] = *keys;
  const auto algorithm = WireReader(public_blob).string();
  if (!algorithm) return Error{"a truncated OpenSSH private key"};
  const std::string_view cipher = (*ciphering)[0];
  OpensshKey key{std::string(*algorithm), cipher != "none", std::string(public_blob), {}};
  if (!key.encrypted) key.private_section = std::string(private_section);
  return key;
}

} // namespace tasksync
