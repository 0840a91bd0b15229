#include "base/timestamp.hpp"

#include <cctype>
#include <ctime>

namespace tasksync {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> number(std::string_view text, std::size_t pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool expect(std::string_view text, std::size_t pos, char c) { return pos < text.size() && text[pos] == c; }

// Every date the daemon writes goes through here, so all of them are UTC and none reads the
// time zone (gmtime_r, not localtime_r).
std::string format_utc(std::int64_t unix_seconds, const char *format) {
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&time, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, format, &tm);
  return buffer;
}

} // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  const auto year = number(text, 0, 4), month = number(text, 5, 2), day = number(text, 8, 2);
  const auto hour = number(text, 11, 2), minute = number(text, 14, 2), second = number(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (!expect(text, 4, '-') || !expect(text, 7, '-') || !expect(text, 13, ':') || !expect(text, 16, ':')) {
    return std::nullopt;
  }
  if (!(expect(text, 10, 'T') || expect(text, 10, 't') || expect(text, 10, ' '))) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;

  std::size_t pos = 19;
  if (expect(text, pos, '.')) {
    ++pos;
    const std::size_t digits_start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])))
      ++pos;
    if (pos == digits_start) return std::nullopt;
  }
  int offset = 0;
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
    ++pos;
  } else if (expect(text, pos, '+') || expect(text, pos, '-')) {
    const auto off_hour = number(text, pos + 1, 2), off_minute = number(text, pos + 4, 2);
    if (!off_hour || !off_minute || !expect(text, pos + 3, ':') || *off_hour > 23 || *off_minute > 59) {
      return std::nullopt;
    }
    offset = (*off_hour * 60 + *off_minute) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  const std::int64_t local = static_cast<std::int64_t>(days) * 86400 + *hour * 3600 + *minute * 60 + *second;
  return Timestamp{local - static_cast<std::int64_t>(offset) * 60, offset};
}

std::int64_t unix_seconds_of(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::int64_t unix_now() { return unix_seconds_of(std::chrono::system_clock::now()); }

std::string utc_date_time(std::int64_t unix_seconds) { return format_utc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

std::string utc_time_of_day(std::int64_t unix_seconds) { return format_utc(unix_seconds, "%H:%M:%S UTC"); }

} // namespace tasksync
