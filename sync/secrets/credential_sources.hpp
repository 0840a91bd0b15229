#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace tasksync {

// The systemd credentials tasksyncd reads, by ID, and the directory the shipped unit loads them
// from (LoadCredential=ID:/etc/tasksync/ID).
inline constexpr std::string_view kApiKeyCredential = "anchor-api-key";
inline constexpr std::string_view kPushSshKeyCredential = "push-ssh-key";
inline constexpr std::string_view kPushTokenCredential = "push-token";
inline constexpr std::string_view kSigningKeyCredential = "signing-key";
inline constexpr std::string_view kUnitCredentialSources = "/etc/tasksync";

/// Where credentials are looked for.
struct CredentialSources {
  std::optional<std::filesystem::path> directory{};    // $CREDENTIALS_DIRECTORY: inside the unit
  std::optional<std::filesystem::path> unit_sources{}; // outside it, for --check-config: what the unit would load
};

// $CREDENTIALS_DIRECTORY as this process sees it, and no unit sources.
CredentialSources credential_sources_from_environment();

// For --check-config: $CREDENTIALS_DIRECTORY when set; else (run outside the unit) the files the
// shipped unit would load, in kUnitCredentialSources.
CredentialSources credential_sources_for_check();

// True for a file in $CREDENTIALS_DIRECTORY as this process sees it: a path that is ours, which
// systemd fills with regular files, so a symlink there is refused rather than followed.
bool in_credential_directory(const std::filesystem::path &file);

} // namespace tasksync
