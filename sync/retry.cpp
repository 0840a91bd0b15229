#include "retry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace tasksync {
namespace {

std::optional<long long> whole_number(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

} // namespace

bool is_retryable_status(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds backoff_delay(int attempt, std::mt19937_64 &random, std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap) {
  const auto ceiling = std::min<long long>(cap.count(), base.count() << std::min(attempt, 20));
  return std::chrono::milliseconds(std::uniform_int_distribution<long long>(0, ceiling)(random));
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  if (auto seconds = whole_number(value)) return std::chrono::seconds(*seconds);
  std::tm tm{};
  const std::string text(value);
  const char *end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  const auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(when - now));
}

std::optional<std::chrono::seconds> parse_rate_limit(std::string_view value) {
  std::optional<long long> remaining;
  std::optional<long long> reset;
  while (!value.empty()) {
    const auto comma = value.find_first_of(",;");
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, equals);
    if (key == "remaining" || key == "r") remaining = whole_number(item.substr(equals + 1));
    if (key == "reset" || key == "t") reset = whole_number(item.substr(equals + 1));
  }
  if (remaining == 0LL && reset) return std::chrono::seconds(*reset);
  return std::nullopt;
}

void RequestGate::pause_until(std::chrono::steady_clock::time_point when) {
  std::lock_guard lock(m_mutex);
  m_resume = std::max(m_resume, when);
  m_changed.notify_all();
}

bool RequestGate::wait(std::stop_token stop) {
  std::unique_lock lock(m_mutex);
  while (!stop.stop_requested() && std::chrono::steady_clock::now() < m_resume) {
    m_changed.wait_until(lock, stop, m_resume, [] { return false; });
  }
  return !stop.stop_requested();
}

} // namespace tasksync
