#include "secrets/api_key.hpp"

#include <cstdlib>

#include "secrets/credentials.hpp"
#include "secrets/secret_file.hpp"
#include "secrets/secret_text.hpp"

namespace tasksync {
namespace {

constexpr const char *kEnvironmentVariable = "ANCHORBROWSER_API_KEY";

// The key in `file`, found as `where` ("file /k", "systemd credential anchor-api-key /k"): a
// FIFO or /dev/zero there is refused at once by what it is, never waited on or read.
Result<ApiKey> key_from_file(const std::filesystem::path &file, const std::string &where) {
  const std::string source = where + " " + file.string();
  TRY_ASSIGN(std::string value, read_secret(file, "the API key from " + where));
  return ApiKey{std::move(value), source};
}

} // namespace

ApiKeySources api_key_sources_from_environment(const std::optional<std::filesystem::path> &key_file,
                                               const CredentialSources &credentials) {
  ApiKeySources sources{key_file, std::nullopt, credentials};
  if (const char *value = std::getenv(kEnvironmentVariable)) sources.environment_value = value;
  return sources;
}

Result<ApiKey> load_api_key(const ApiKeySources &sources) {
  if (sources.key_file) return key_from_file(*sources.key_file, "file");
  if (sources.environment_value) {
    const std::string source = std::string("environment variable ") + kEnvironmentVariable;
    TRY_ASSIGN(std::string value, accept_secret(*sources.environment_value, "the API key from " + source));
    return ApiKey{std::move(value), source};
  }
  if (auto found = find_credential(sources.credentials, kApiKeyCredential)) {
    return key_from_file(found->file, found->source);
  }
  const std::string name(kApiKeyCredential);
  std::string looked = "api.api_key_file is not set, " + std::string(kEnvironmentVariable) + " is not set, ";
  if (sources.credentials.directory) {
    looked += "and " + (*sources.credentials.directory / name).string() +
              " (the systemd credential) does not exist or is empty";
  } else if (sources.credentials.unit_sources) {
    looked += "$CREDENTIALS_DIRECTORY is not set (not run by the unit), and " +
              (*sources.credentials.unit_sources / name).string() +
              ", which the unit loads, does not exist or is empty";
  } else {
    looked += "and $CREDENTIALS_DIRECTORY is not set (not run by the unit)";
  }
  return Error{"no API key (" + looked + "): set api.api_key_file in the config, or the " + kEnvironmentVariable +
               " environment variable, or provide the systemd credential " + name + " (LoadCredential=" + name + ":" +
               std::string(kUnitCredentialSources) + "/" + name + ")"};
}

} // namespace tasksync
