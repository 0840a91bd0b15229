#include "config/api_key.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/log.hpp"

namespace tasksync {
namespace {

constexpr const char *kEnvironmentVariable = "ANCHORBROWSER_API_KEY";

Result<ApiKey> checked(std::string value, std::string source) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) return Error{"the API key from " + source + " is empty"};
  for (char c : value) {
    if (std::iscntrl(static_cast<unsigned char>(c))) {
      return Error{"the API key from " + source +
                   " contains a line break or other control character; it must be a single line"};
    }
  }
  // Every log line is masked against it from here on, whatever code later mentions it.
  log::add_secret(value);
  return ApiKey{std::move(value), std::move(source)};
}

Result<ApiKey> read_key_file(const std::filesystem::path &file, const std::string &source) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"cannot read the API key from " + source + ": " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  return checked(text.str(), source);
}

} // namespace

ApiKeySources api_key_sources_from_environment(const std::optional<std::filesystem::path> &key_file,
                                               const CredentialSources &credentials) {
  ApiKeySources sources;
  sources.key_file = key_file;
  if (const char *value = std::getenv(kEnvironmentVariable)) sources.environment_value = value;
  if (const char *dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) sources.credentials_dir = dir;
  if (!sources.credentials_dir) sources.unit_sources = credentials.unit_sources;
  return sources;
}

Result<ApiKey> load_api_key(const ApiKeySources &sources) {
  if (sources.key_file) return read_key_file(*sources.key_file, "file " + sources.key_file->string());
  if (sources.environment_value) {
    return checked(*sources.environment_value, std::string("environment variable ") + kEnvironmentVariable);
  }
  const CredentialSources credentials{sources.credentials_dir, sources.unit_sources};
  if (auto found = find_credential(credentials, kApiKeyCredential)) {
    return read_key_file(found->file, found->source + " " + found->file.string());
  }
  const std::string name(kApiKeyCredential);
  std::string looked = "api.api_key_file is not set, " + std::string(kEnvironmentVariable) + " is not set, ";
  if (sources.credentials_dir) {
    looked +=
        "and " + (*sources.credentials_dir / name).string() + " (the systemd credential) does not exist or is empty";
  } else if (sources.unit_sources) {
    looked += "$CREDENTIALS_DIRECTORY is not set (not run by the unit), and " +
              (*sources.unit_sources / name).string() + ", which the unit loads, does not exist or is empty";
  } else {
    looked += "and $CREDENTIALS_DIRECTORY is not set (not run by the unit)";
  }
  return Error{"no API key (" + looked + "): set api.api_key_file in the config, or the " + kEnvironmentVariable +
               " environment variable, or provide the systemd credential " + name + " (LoadCredential=" + name + ":" +
               std::string(kUnitCredentialSources) + "/" + name + ")"};
}

} // namespace tasksync
