#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The algorithm of an ssh private key, from its text ("ssh-ed25519", "ecdsa-sha2-nistp256",
// "ssh-rsa", "ssh-dss"): OpenSSH's own format (its public half is never encrypted) and PEM
// (PKCS#1, SEC 1, PKCS#8). An error when the text is no private key, or is protected by a
// passphrase (tasksyncd has none to give).
Result<std::string> ssh_key_algorithm(const std::string &text);

// Checks the private key file `file` before libssh2 (which reports neither path nor reason) gets
// it: readable by this process, a private key, and of a type that works with libssh2 1.10 against
// current servers. RSA does not: libssh2 1.10 signs only with SHA-1 ("ssh-rsa"), which OpenSSH 8.8
// and later refuse; nor does DSA. `what` names the file in errors ("repo.push.ssh_key_file").
// Returns the algorithm.
Result<std::string> check_ssh_key_file(const std::filesystem::path &file, const std::string &what);

} // namespace tasksync
