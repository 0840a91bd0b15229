#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tasksync {

// A point in time with the UTC offset it was written in (what git signatures store).
struct Timestamp {
  std::int64_t unix_seconds = 0;
  int offset_minutes = 0;
};

// Parses an RFC 3339 date-time ("2026-11-20T14:31:07Z", "...07.5+02:00"); fractions are dropped.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Whole Unix seconds of `when` (the one conversion from the system clock every caller uses).
std::int64_t unix_seconds_of(std::chrono::system_clock::time_point when);

// The system clock now, as whole Unix seconds.
std::int64_t unix_now();

// Unix seconds as an RFC 3339 UTC date-time ("2026-10-21T07:28:00Z").
std::string utc_date_time(std::int64_t unix_seconds);

// Unix seconds as a UTC time of day ("07:28:00 UTC").
std::string utc_time_of_day(std::int64_t unix_seconds);

} // namespace tasksync
