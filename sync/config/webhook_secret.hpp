#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The signing secret of POST /webhooks/anchorbrowser from http.webhook_secret_file, as
// read_secret_file() reads it (not empty, final newline trimmed). Once read it is masked in every
// log line. Errors name the key, the path and the reason, never the secret.
Result<std::string> load_webhook_secret(const std::filesystem::path &file);

} // namespace tasksync
