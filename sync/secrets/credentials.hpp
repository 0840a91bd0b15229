#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "secrets/credential_sources.hpp"

namespace tasksync {

struct Config;

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
// config names always wins. The step after load_config() wherever a config is run or checked.
void resolve_file_credentials(Config &config, const CredentialSources &sources);

} // namespace tasksync
