#include "api/http_date.hpp"

#include <ctime>
#include <string>

namespace tasksync {

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  std::tm tm{};
  const std::string value(text);
  const char *end = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

} // namespace tasksync
