#include "secrets/credentials.hpp"

#include <algorithm>

#include "config/config.hpp"
#include "secrets/secret_file.hpp"

namespace tasksync {
namespace {

// The placeholder is SetCredential=ID:\n; a real key or token is never this small.
bool only_white_space(const std::filesystem::path &file) {
  // Read with a key's cap, the largest a credential may be.
  auto text = read_key_file(file, "credential", {});
  // Unreadable: it is there, and reading it later says why it fails.
  return text && std::ranges::all_of(*text, [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; });
}

} // namespace

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

} // namespace tasksync
