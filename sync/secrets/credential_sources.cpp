#include "secrets/credential_sources.hpp"

#include <cstdlib>

namespace tasksync {

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

bool in_credential_directory(const std::filesystem::path &file) {
  const auto directory = credential_sources_from_environment().directory;
  return directory && file.parent_path().lexically_normal() == directory->lexically_normal();
}

} // namespace tasksync
