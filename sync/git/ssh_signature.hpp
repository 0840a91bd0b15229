#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "secrets/signing_key.hpp"

namespace tasksync {

// The namespace git signs commits and tags in (gpg.format=ssh).
inline constexpr std::string_view kGitSignatureNamespace = "git";

// The SSH signature of `message` as `ssh-keygen -Y sign -n <name_space>` writes it: the SSHSIG
// blob (PROTOCOL.sshsig in OpenSSH's sources; SHA-512 of the message) between its BEGIN and END
// SSH SIGNATURE lines, in lines of 70 characters, without the final line break.
Result<std::string> ssh_signature(const SigningKey &key, std::string_view message, std::string_view name_space);

// The line of an allowed-signers file (git's gpg.ssh.allowedSignersFile; ssh-keygen(1), ALLOWED
// SIGNERS) that trusts `key` for `principal`'s git signatures:
// `<principal> namespaces="git" ssh-ed25519 AAAA...`.
std::string allowed_signers_line(const SigningKey &key, std::string_view principal);

} // namespace tasksync
