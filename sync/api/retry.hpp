#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <stop_token>
#include <string_view>

namespace tasksync {

// True for the HTTP statuses worth asking again: 408, 409 (a conflict, as the vendor's SDKs
// retry it), 429, 500, 502, 503, 504.
bool is_retryable_status(int status);

// Whether to ask again after an answer with `status`, as the vendor's SDKs decide: an
// `x-should-retry: true` or `false` header (`should_retry`, any case) overrides the status.
bool should_retry(int status, std::optional<std::string_view> should_retry);

// Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^attempt)].
std::chrono::milliseconds backoff_delay(int attempt, std::mt19937_64 &random,
                                        std::chrono::milliseconds base = std::chrono::milliseconds(500),
                                        std::chrono::milliseconds cap = std::chrono::seconds(30));

// The longest wait a Retry-After or RateLimit value is read as: larger ones (2^63-1 seconds, a
// date in year 9999) are clamped to it, so nothing overflows; every pass gives up on such a wait.
inline constexpr std::chrono::seconds kLongestServerWait = std::chrono::hours(24 * 366);

// A Retry-After value, delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"),
// as a wait from `now`, at most kLongestServerWait; nullopt when it is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// A retry-after-ms value (milliseconds, a fraction allowed: "1500", "250.5"), at most
// kLongestServerWait; nullopt when it is not a non-negative number.
std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view value);

// The wait a RateLimit header asks for when the quota is used up ("limit=10, remaining=0,
// reset=3" as in the IETF draft), at most kLongestServerWait; nullopt while requests remain or
// when it says nothing.
std::optional<std::chrono::seconds> parse_rate_limit(std::string_view value);

// Holds back every client of a pass while the API has asked for a pause, so that one 429
// slows the whole daemon down instead of each worker hammering on.
class RequestGate {
public:
  // No request before `when`.
  void pause_until(std::chrono::steady_clock::time_point when);
  // Waits until requests may go out; false when `stop` was requested first, and at once when the
  // pause ends after `limit` (waiting would keep a healthy request past what its caller allows).
  bool wait(std::stop_token stop, std::optional<std::chrono::steady_clock::time_point> limit = std::nullopt);
  // The end of the current pause (in the past when there is none).
  std::chrono::steady_clock::time_point paused_until() const;

private:
  mutable std::mutex m_mutex;
  std::condition_variable_any m_changed;
  std::chrono::steady_clock::time_point m_resume{};
};

} // namespace tasksync
