#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tasksync {

// A point in time with the UTC offset it was written in (what git signatures store).
struct Timestamp {
  std::int64_t unix_seconds = 0;
  int offset_minutes = 0;
};

// Parses an RFC 3339 date-time ("2026-11-20T14:31:07Z", "...07.5+02:00"); fractions are dropped.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

} // namespace tasksync
