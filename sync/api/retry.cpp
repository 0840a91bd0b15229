#include "api/retry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "api/http_date.hpp"
#include "base/text.hpp"
#include "base/timestamp.hpp"

namespace tasksync {
namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// Digits only, as a number; one larger than `limit` (or than any integer) is `limit`.
std::optional<long long> whole_number(std::string_view text, long long limit) {
  text = trimmed(text);
  if (!is_decimal(text)) {
    return std::nullopt;
  }
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || value > limit) return limit;
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Digits only, as seconds, at most kLongestServerWait.
std::optional<std::chrono::seconds> whole_seconds(std::string_view text) {
  const auto value = whole_number(text, kLongestServerWait.count());
  if (!value) return std::nullopt;
  return std::chrono::seconds(*value);
}

} // namespace

bool is_retryable_status(int status) {
  return status == 408 || status == 409 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool should_retry(int status, std::optional<std::string_view> should_retry) {
  if (should_retry) {
    const std::string value = ascii_lower(trimmed(*should_retry));
    if (value == "true") return true;
    if (value == "false") return false;
  }
  return is_retryable_status(status);
}

std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view value) {
  value = trimmed(value);
  const std::size_t point = value.find('.');
  const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(kLongestServerWait);
  const auto whole = whole_number(value.substr(0, point), limit.count());
  if (!whole) return std::nullopt;
  if (point != std::string_view::npos) {
    const std::string_view fraction = value.substr(point + 1);
    if (!is_decimal(fraction)) {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds(*whole);
}

std::chrono::milliseconds backoff_delay(int attempt, std::mt19937_64 &random, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap) {
  const auto ceiling = std::min<long long>(cap.count(), base.count() << std::min(attempt, 20));
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, ceiling)(random));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  if (auto seconds = whole_seconds(value)) return seconds;
  // In seconds, not as a system_clock time point: its nanoseconds end in year 2262, and a date in
  // year 9999 would wrap round to a wait in the past.
  const auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  const long long from = unix_seconds_of(now);
  return std::chrono::seconds(std::clamp(*when - from, 0LL, static_cast<long long>(kLongestServerWait.count())));
}

std::optional<std::chrono::seconds> parse_rate_limit(std::string_view value) {
  std::optional<std::chrono::seconds> remaining;
  std::optional<std::chrono::seconds> reset;
  while (!value.empty()) {
    const auto comma = value.find_first_of(",;");
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, equals);
    if (key == "remaining" || key == "r") remaining = whole_seconds(item.substr(equals + 1));
    if (key == "reset" || key == "t") reset = whole_seconds(item.substr(equals + 1));
  }
  if (remaining == std::chrono::seconds(0) && reset) return reset;
  return std::nullopt;
}

void RequestGate::pause_until(std::chrono::steady_clock::time_point when) {
  std::lock_guard lock(m_mutex);
  m_resume = std::max(m_resume, when);
  m_changed.notify_all();
}

bool RequestGate::wait(std::stop_token stop, std::optional<std::chrono::steady_clock::time_point> limit) {
  std::unique_lock lock(m_mutex);
  while (!stop.stop_requested() && std::chrono::steady_clock::now() < m_resume) {
    if (limit && m_resume > *limit) return false; // again after each wait: the pause may have grown
    m_changed.wait_until(lock, stop, m_resume, [] { return false; });
  }
  return !stop.stop_requested();
}

std::chrono::steady_clock::time_point RequestGate::paused_until() const {
  std::lock_guard lock(m_mutex);
  return m_resume;
}

} // namespace tasksync
