#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The signing secret of POST /webhooks/anchorbrowser from http.webhook_secret_file: a regular
// file of at most 4 KiB (read_small_file), one line once its final line break is trimmed, not
// empty (accept_secret). Once read it is masked in every log line. Errors name the key, the path
// and the reason, never the secret: "http.webhook_secret_file /s: the file is empty".
Result<std::string> load_webhook_secret(const std::filesystem::path &file);

} // namespace tasksync
