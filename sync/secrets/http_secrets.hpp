#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tasksync {

/// What the files of http.sync_token_file and http.webhook_secret_file hold, each read on its own
/// (load_sync_token, load_webhook_secrets): nullopt where the config names no file.
struct HttpSecretFiles {
  std::optional<Result<std::string>> sync_token{};
  std::optional<Result<std::vector<std::string>>> webhook_secrets{};
};

// Reads both files, so that --check-config can report each one's problem.
HttpSecretFiles read_http_secret_files(const HttpSettings &http);

/// The secrets of the status server's POST routes, ready to use: nullopt where the route is off.
struct HttpSecrets {
  std::optional<std::string> sync_token{};                   // POST /sync's bearer token
  std::optional<std::vector<std::string>> webhook_secrets{}; // POST /webhooks/anchorbrowser's, new first
};

// read_http_secret_files(), or the error of the first file that cannot be used: the status
// server's start and each reload load them here.
Result<HttpSecrets> load_http_secrets(const HttpSettings &http);

} // namespace tasksync
