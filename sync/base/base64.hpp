#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// Decodes standard base64 (OpenSSL's EVP decoder); whitespace and line breaks are accepted, and so
// is a last group without its '=' padding. Other bytes, and a last group of one character, fail.
Result<std::string> decode_base64(std::string_view text);

// Encodes `bytes` as standard base64 with padding, on one line.
std::string encode_base64(std::string_view bytes);

} // namespace tasksync
