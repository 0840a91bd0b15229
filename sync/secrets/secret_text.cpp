#include "secrets/secret_text.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace tasksync {

Result<std::string> accept_secret(std::string text, const std::string &what) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.empty()) return Error{what + " is empty"};
  if (std::ranges::any_of(text, [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return Error{what + " holds a line break or other control character; it must be one line"};
  }
  log::add_secret(text);
  return text;
}

} // namespace tasksync
