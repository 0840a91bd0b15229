#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace tasksync {

// The signing secrets of POST /webhooks/anchorbrowser from http.webhook_secret_file: a regular
// file of at most 4 KiB (read_secret_text) holding one secret, or two while the webhook's secret
// is rotated (the new one first), one per line, its final line break trimmed. Each line is
// checked and masked in every log line by accept_secret(); a blank line or a third line is
// refused. Errors name the key, the path and the reason, never a secret:
// "http.webhook_secret_file /s: the file is empty", "http.webhook_secret_file /s: line 2 is empty".
Result<std::vector<std::string>> load_webhook_secrets(const std::filesystem::path &file);

} // namespace tasksync
