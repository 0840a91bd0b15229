#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// The most a secret's file may hold (a token, the webhook secret, the API key), and a private key's.
inline constexpr std::size_t kSecretFileLimit = 4 * 1024;
inline constexpr std::size_t kKeyFileLimit = 64 * 1024;

// Every secret and key file is read here, through read_small_file(): a regular file, opened
// non-blocking (a FIFO is refused, never waited on), never followed through a symlink in
// $CREDENTIALS_DIRECTORY (in_credential_directory), and capped in size. Errors name the file and
// the reason, never its content.

// Opens `file` for reading and closes it again: a regular file this process can read
// (open_regular_file), or an error naming `what`, the path and the reason ("cannot read
// repo.push.ssh_key_file /k: Permission denied"). A refusal adds how the unit hands a secret over
// when `credential` is set.
Result<void> check_readable(const std::filesystem::path &file, const std::string &what,
                            std::string_view credential = {});

// The text of the private key file `file` (a push or signing key), read as check_readable() opens
// it and at most 64 KiB (kKeyFileLimit), more than any ssh key holds.
Result<std::string> read_key_file(const std::filesystem::path &file, const std::string &what,
                                  std::string_view credential);

// The text of the secret file `file`, at most 4 KiB (kSecretFileLimit), as it is: for a file that
// holds more than one secret (the webhook's) or names itself otherwise in errors, which start with
// `named` ("http.sync_token_file /t: cannot read: No such file or directory").
Result<std::string> read_secret_text(const std::filesystem::path &file, std::string named);

// The secret in `file` (a token, the API key): read as check_readable() opens it, at most 4 KiB
// (kSecretFileLimit), then accept_secret()ed: one line, not empty, masked in every log line.
// Errors: "cannot read WHAT PATH: reason", "WHAT PATH is empty", never the secret.
Result<std::string> read_secret(const std::filesystem::path &file, const std::string &what,
                                std::string_view credential = {});

} // namespace tasksync
