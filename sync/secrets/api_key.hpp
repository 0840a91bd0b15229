#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "secrets/credential_sources.hpp"

namespace tasksync {

// The AnchorBrowser API key and where it was found. Only `source` may be shown to people.
struct ApiKey {
  std::string value;
  std::string source; // e.g. "file /etc/tasksync/anchor-api-key"
};

// Where the key may come from, in order of precedence.
struct ApiKeySources {
  std::optional<std::filesystem::path> key_file; // api.api_key_file
  std::optional<std::string> environment_value;  // $ANCHORBROWSER_API_KEY
  CredentialSources credentials{};               // the credential anchor-api-key
};

// The sources as this process sees them: `key_file`, $ANCHORBROWSER_API_KEY and `credentials`
// (credential_sources_for_check() for --check-config outside the unit).
ApiKeySources
api_key_sources_from_environment(const std::optional<std::filesystem::path> &key_file,
                                 const CredentialSources &credentials = credential_sources_from_environment());

// Finds and checks the key (accept_secret): a final newline is trimmed; an empty key or one with
// control characters (it goes into a request header as is) is refused. A file is read as
// read_secret() reads it: a regular file of at most 4 KiB, so a FIFO or /dev/zero is refused at
// once. Errors never contain the key, and a key found is added to the log's secrets
// (log::add_secret), so no log line shows it either.
Result<ApiKey> load_api_key(const ApiKeySources &sources);

} // namespace tasksync
