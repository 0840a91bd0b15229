#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

struct Config;

// The systemd credentials tasksyncd reads, by ID, and the directory the shipped unit loads them
// from (LoadCredential=ID:/etc/tasksync/ID).
inline constexpr std::string_view kApiKeyCredential = "anchor-api-key";
inline constexpr std::string_view kPushSshKeyCredential = "push-ssh-key";
inline constexpr std::string_view kPushTokenCredential = "push-token";
inline constexpr std::string_view kSigningKeyCredential = "signing-key";
inline constexpr std::string_view kUnitCredentialSources = "/etc/tasksync";

/// Where credentials are looked for.
struct CredentialSources {
  std::optional<std::filesystem::path> directory;    // $CREDENTIALS_DIRECTORY: inside the unit
  std::optional<std::filesystem::path> unit_sources; // outside it, for --check-config: what the unit would load
};

// $CREDENTIALS_DIRECTORY as this process sees it, and no unit sources.
CredentialSources credential_sources_from_environment();

// For --check-config: $CREDENTIALS_DIRECTORY when set; else (run outside the unit) the files the
// shipped unit would load, in kUnitCredentialSources.
CredentialSources credential_sources_for_check();

/// A credential file that is there, and how to name it to people.
struct FoundCredential {
  std::filesystem::path file;
  std::string source; // "systemd credential ID" (inside the unit) or "the unit's credential ID" (its source file)
};

// The credential `id` when its file exists and is not the unit's placeholder: the shipped unit
// pairs each optional LoadCredential= with SetCredential=ID:\n, systemd's fallback when the source
// file is missing (a missing source alone would fail the unit's start), so a file holding nothing
// but white space counts as absent.
std::optional<FoundCredential> find_credential(const CredentialSources &sources, std::string_view id);

// Fills repo.push.ssh_key_file, repo.push.token_file and repo.signing_key_file from the
// credentials push-ssh-key, push-token and signing-key where the config names no file; a file the
// config names always wins.
void resolve_file_credentials(Config &config, const CredentialSources &sources);

// Opens `file` for reading and closes it again: a regular file this process can read
// (open_regular_file), or an error naming `what`, the path and the reason ("cannot read
// repo.push.ssh_key_file /k: Permission denied"). A refusal adds how the unit hands a secret over
// when `credential` is set. A file in $CREDENTIALS_DIRECTORY is opened without following a symlink.
Result<void> check_readable(const std::filesystem::path &file, const std::string &what,
                            std::string_view credential = {});

// The text of the private key file `file` (a push or signing key), read as check_readable() opens
// it and at most 64 KiB (kKeyFileLimit), more than any ssh key holds.
Result<std::string> read_key_file(const std::filesystem::path &file, const std::string &what,
                                  std::string_view credential);

// The secret in `file` (a token, the API key): read as check_readable() opens it, at most 4 KiB
// (kSecretFileLimit), then accept_secret()ed: one line, not empty, masked in every log line.
// Errors: "cannot read WHAT PATH: reason", "WHAT PATH is empty", never the secret.
Result<std::string> read_secret(const std::filesystem::path &file, const std::string &what,
                                std::string_view credential = {});

} // namespace tasksync
