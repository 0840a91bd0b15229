#include "ops/http/message.hpp"

#include "base/text.hpp"

namespace tasksync::http {

std::optional<std::string_view> Request::header(std::string_view name) const {
  const std::string wanted = ascii_lower(name);
  for (const auto &[key, value] : headers) {
    if (ascii_lower(key) == wanted) return value;
  }
  return std::nullopt;
}

} // namespace tasksync::http
