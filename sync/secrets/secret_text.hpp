#pragma once

#include <string>

#include "base/result.hpp"

namespace tasksync {

// A secret's text as read from its file or the environment (the API key, a token, the webhook
// secret), made ready for use: its final line breaks (CR and LF) trimmed; refused when nothing is
// left, or when it holds a control character (a byte below 0x20, or DEL: it goes into a header
// or a comparison as is). Once accepted it is masked in every log line (log::add_secret). Errors
// start with `what` and never show the text: "repo.push.token_file /t is empty", "... holds a
// line break or other control character; it must be one line".
Result<std::string> accept_secret(std::string text, const std::string &what);

} // namespace tasksync
