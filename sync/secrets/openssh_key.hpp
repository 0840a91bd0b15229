#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/ssh_wire.hpp"

namespace tasksync {

/// An OpenSSH private key file (PROTOCOL.key in OpenSSH's sources), read as far as it can be
/// without a passphrase: its public half is never encrypted.
struct OpensshKey {
  std::string algorithm;       // of its (first) key: "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...
  bool encrypted = false;      // the private half is protected by a passphrase
  std::string public_blob;     // the public key in SSH wire format, as in an authorized_keys line
  std::string private_section; // the private half (checkints, key, comment, padding); empty when encrypted
};

// True when `text` holds an OpenSSH private key block ("-----BEGIN OPENSSH PRIVATE KEY-----").
bool is_openssh_private_key(std::string_view text);

// Reads the OpenSSH private key block in `text`. Errors describe what the text is ("an OpenSSH
// private key that is not valid base64"), for "<what> <file> is ...".
Result<OpensshKey> parse_openssh_private_key(std::string_view text);

// The next N strings of `in`, or nullopt when the buffer ends first: an OpenSSH key's fields come
// in runs of strings, and a run cut short anywhere is "a truncated OpenSSH private key".
template <std::size_t N> std::optional<std::array<std::string_view, N>> read_wire_strings(WireReader &in) {
  std::array<std::string_view, N> strings;
  for (std::string_view &string : strings) {
    const auto next = in.string();
    if (!next) return std::nullopt;
    string = *next;
  }
  return strings;
}

} // namespace tasksync
