#include "api/retry.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace tasksync;
using namespace std::chrono_literals;

TEST(Retry, RetryableStatuses) {
  for (const int status : {408, 409, 429, 500, 502, 503, 504})
    EXPECT_TRUE(is_retryable_status(status)) << status;
  for (const int status : {200, 400, 401, 403, 404, 501})
    EXPECT_FALSE(is_retryable_status(status)) << status;
}

TEST(Retry, BackoffIsFullJitterUnderAnExponentialCeiling) {
  std::mt19937_64 random(42);
  for (int attempt = 0; attempt < 12; ++attempt) {
    std::chrono::milliseconds longest{0};
    for (int i = 0; i < 200; ++i) {
      const auto delay = backoff_delay(attempt, random, 100ms, 5s);
      EXPECT_GE(delay, 0ms);
      EXPECT_LE(delay, std::min<std::chrono::milliseconds>(5s, 100ms * (1 << attempt)));
      longest = std::max(longest, delay);
    }
    // Spread over the whole range, not stuck at the bottom.
    EXPECT_GT(longest, std::min<std::chrono::milliseconds>(5s, 100ms * (1 << attempt)) / 2) << attempt;
  }
}

TEST(Retry, RetryAfterInSecondsOrAsAnHttpDate) {
  const auto now = std::chrono::system_clock::from_time_t(1795185067); // Fri, 20 Nov 2026 14:31:07 GMT
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
  EXPECT_EQ(parse_retry_after("Fri, 20 Nov 2026 14:32:07 GMT", now), 60s);
  EXPECT_EQ(parse_retry_after("Fri, 20 Nov 2026 14:30:07 GMT", now), 0s) << "a date in the past means now";
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
  EXPECT_FALSE(parse_retry_after("Fri, 20 Nov 2026 14:32:07 GMT trailing", now));
}

TEST(Retry, HugeWaitsAreClampedInsteadOfOverflowing) {
  const auto now = std::chrono::system_clock::from_time_t(1795185067);
  EXPECT_EQ(parse_retry_after("9223372036854775807", now), kLongestServerWait);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999", now), kLongestServerWait);
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), kLongestServerWait);
  EXPECT_EQ(parse_retry_after(std::to_string(kLongestServerWait.count() - 1), now), kLongestServerWait - 1s);
  EXPECT_EQ(parse_rate_limit("limit=10, remaining=0, reset=9223372036854775807"), kLongestServerWait);
  // The clamped wait still fits every clock it is added to.
  const auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(*parse_retry_after("9223372036854775807", now));
  EXPECT_GT(std::chrono::steady_clock::now() + wait, std::chrono::steady_clock::now() + 365 * 24h);
}

TEST(Retry, RateLimitOnlyMattersWhenNothingRemains) {
  EXPECT_EQ(parse_rate_limit("limit=10, remaining=0, reset=7"), 7s);
  EXPECT_EQ(parse_rate_limit("\"default\";r=0;t=3"), 3s);
  EXPECT_FALSE(parse_rate_limit("limit=10, remaining=4, reset=7"));
  EXPECT_FALSE(parse_rate_limit("limit=10, remaining=0"));
  EXPECT_FALSE(parse_rate_limit("garbage"));
}

TEST(Retry, TheGateHoldsEveryoneBackAndYieldsToStop) {
  RequestGate gate;
  EXPECT_TRUE(gate.wait({}));
  const auto started = std::chrono::steady_clock::now();
  gate.pause_until(started + 300ms);
  EXPECT_TRUE(gate.wait({}));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);

  gate.pause_until(std::chrono::steady_clock::now() + 1h);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(50ms);
    stop.request_stop();
  });
  EXPECT_FALSE(gate.wait(stop.get_token()));
}

TEST(Retry, TheGateRefusesAtOnceAPauseThatEndsPastTheLimit) {
  RequestGate gate;
  const auto started = std::chrono::steady_clock::now();
  gate.pause_until(started + 1h);
  EXPECT_EQ(gate.paused_until(), started + 1h);
  std::stop_source give_up; // without the limit the wait would last the whole hour
  std::jthread bound([&](std::stop_token done) {
    std::mutex mutex;
    std::condition_variable_any timer;
    std::unique_lock lock(mutex);
    timer.wait_for(lock, done, 5s, [] { return false; });
    if (!done.stop_requested()) give_up.request_stop();
  });
  EXPECT_FALSE(gate.wait(give_up.get_token(), started + 2s));
  EXPECT_FALSE(give_up.stop_requested()) << "waited until stopped instead of refusing at once";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);

  RequestGate short_pause;
  short_pause.pause_until(std::chrono::steady_clock::now() + 200ms);
  EXPECT_TRUE(short_pause.wait({}, std::chrono::steady_clock::now() + 2s));
}

TEST(Retry, XShouldRetryOverridesTheStatusInAnyCase) {
  EXPECT_TRUE(should_retry(400, "true"));
  EXPECT_TRUE(should_retry(400, " TRUE "));
  EXPECT_FALSE(should_retry(503, "false"));
  EXPECT_TRUE(should_retry(503, "maybe")) << "a value that is neither leaves the status to decide";
  EXPECT_FALSE(should_retry(404, std::nullopt));
}

TEST(Retry, RetryAfterMsIsMillisecondsWithAnOptionalFraction) {
  EXPECT_EQ(parse_retry_after_ms("1500"), 1500ms);
  EXPECT_EQ(parse_retry_after_ms(" 250.75 "), 250ms);
  EXPECT_EQ(parse_retry_after_ms("0"), 0ms);
  EXPECT_FALSE(parse_retry_after_ms("-5"));
  EXPECT_FALSE(parse_retry_after_ms("soon"));
  EXPECT_FALSE(parse_retry_after_ms("1."));
  EXPECT_FALSE(parse_retry_after_ms(".5"));
  EXPECT_EQ(parse_retry_after_ms("99999999999999999999999"),
            std::chrono::duration_cast<std::chrono::milliseconds>(kLongestServerWait));
}
