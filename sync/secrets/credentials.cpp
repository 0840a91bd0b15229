#include "secrets/credentials.hpp"

#include <algorithm>
#include <cstdlib>

#include "secrets/secret_text.hpp"
#include "base/small_file.hpp"
#include "config/config.hpp"

namespace tasksync {
namespace {

// True for a file in $CREDENTIALS_DIRECTORY: systemd wrote it there under a name of ours, as a
// regular file, so a symlink in its place is refused rather than followed.
bool in_credential_directory(const std::filesystem::path &file) {
  const auto directory = credential_sources_from_environment().directory;
  return directory && file.parent_path().lexically_normal() == directory->lexically_normal();
}

// The placeholder is SetCredential=ID:\n; a real key or token is never this small.
bool only_white_space(const std::filesystem::path &file) {
  auto text = read_small_file(
      file, {"credential " + file.string(), kKeyFileLimit, "a credential", !in_credential_directory(file)});
  // Unreadable: it is there, and reading it later says why it fails.
  return text && std::ranges::all_of(*text, [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; });
}

// How a secret or key file named `what` is named in errors, and what a refusal of the credential
// `credential`'s file adds.
SmallFile small_file(const std::filesystem::path &file, const std::string &what, std::string_view credential,
                     std::size_t limit, std::string holds) {
  std::string when_denied;
  if (!credential.empty()) {
    when_denied = "the service's dynamic user cannot read root's files: put it at " +
                  std::string(kUnitCredentialSources) + "/" + std::string(credential) +
                  ", which the unit hands over as the systemd credential " + std::string(credential) +
                  ", and leave the config key unset";
  }
  return {"cannot read " + what + " " + file.string(), limit, std::move(holds), !in_credential_directory(file),
          std::move(when_denied)};
}

} // namespace

CredentialSources credential_sources_from_environment() {
  CredentialSources sources;
  if (const char *dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) sources.directory = dir;
  return sources;
}

CredentialSources credential_sources_for_check() {
  CredentialSources sources = credential_sources_from_environment();
  if (!sources.directory) sources.unit_sources = std::filesystem::path(kUnitCredentialSources);
  return sources;
}

std::optional<FoundCredential> find_credential(const CredentialSources &sources, std::string_view id) {
  const std::string name(id);
  std::error_code ignored;
  if (sources.directory) {
    const auto file = *sources.directory / name;
    if (std::filesystem::exists(file, ignored) && !only_white_space(file)) {
      return FoundCredential{file, "systemd credential " + name};
    }
    return std::nullopt;
  }
  if (sources.unit_sources) {
    const auto file = *sources.unit_sources / name;
    if (std::filesystem::exists(file, ignored)) {
      return FoundCredential{file, "the unit's credential " + name};
    }
  }
  return std::nullopt;
}

void resolve_file_credentials(Config &config, const CredentialSources &sources) {
  RepoSettings &repo = config.repo;
  if (!repo.signing_key_file) {
    if (auto found = find_credential(sources, kSigningKeyCredential)) {
      repo.signing_key_file = found->file;
      repo.signing_key_source = found->source;
    }
  }
  if (!repo.push) return;
  PushSettings &push = *repo.push;
  if (!push.ssh_key_file) {
    if (auto found = find_credential(sources, kPushSshKeyCredential)) {
      push.ssh_key_file = found->file;
      push.ssh_key_source = found->source;
    }
  }
  if (!push.token_file) {
    if (auto found = find_credential(sources, kPushTokenCredential)) {
      push.token_file = found->file;
      push.token_source = found->source;
    }
  }
}

Result<void> check_readable(const std::filesystem::path &file, const std::string &what, std::string_view credential) {
  TRY(open_regular_file(file, small_file(file, what, credential, kSecretFileLimit, "a secret")));
  return {};
}

Result<std::string> read_key_file(const std::filesystem::path &file, const std::string &what,
                                  std::string_view credential) {
  return read_small_file(file, small_file(file, what, credential, kKeyFileLimit, "an OpenSSH private key"));
}

Result<std::string> read_secret(const std::filesystem::path &file, const std::string &what,
                                std::string_view credential) {
  TRY_ASSIGN(std::string text, read_small_file(file, small_file(file, what, credential, kSecretFileLimit, "a secret")));
  return accept_secret(std::move(text), what + " " + file.string());
}

} // namespace tasksync
