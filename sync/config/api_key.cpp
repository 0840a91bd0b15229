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
constexpr const char *kCredentialName = "anchor-api-key";

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

ApiKeySources api_key_sources_from_environment(const std::optional<std::filesystem::path> &key_file) {
  ApiKeySources sources;
  sources.key_file = key_file;
  if (const char *value = std::getenv(kEnvironmentVariable)) sources.environment_value = value;
  if (const char *dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) sources.credentials_dir = dir;
  return sources;
}

Result<ApiKey> load_api_key(const ApiKeySources &sources) {
  if (sources.key_file) return read_key_file(*sources.key_file, "file " + sources.key_file->string());
  if (sources.environment_value) {
    return checked(*sources.environment_value, std::string("environment variable ") + kEnvironmentVariable);
  }
  if (sources.credentials_dir) {
    const auto file = *sources.credentials_dir / kCredentialName;
    std::error_code ignored;
    if (std::filesystem::exists(file, ignored)) return read_key_file(file, "systemd credential " + file.string());
  }
  return Error{std::string("no API key: set api.api_key_file in the config, or the ") + kEnvironmentVariable +
               " environment variable, or provide the systemd credential " + kCredentialName +
               " (LoadCredential=" + kCredentialName + ":/etc/tasksync/" + kCredentialName + ")"};
}

} // namespace tasksync
