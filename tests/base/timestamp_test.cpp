#include "base/timestamp.hpp"

#include <gtest/gtest.h>

using namespace tasksync;

TEST(Timestamp, ParsesUtcAndOffsets) {
  auto utc = parse_rfc3339("2026-11-20T14:31:07Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->unix_seconds, 1795185067);
  EXPECT_EQ(utc->offset_minutes, 0);

  auto offset = parse_rfc3339("2026-11-20T16:31:07.250+02:00");
  ASSERT_TRUE(offset);
  EXPECT_EQ(offset->unix_seconds, 1795185067);
  EXPECT_EQ(offset->offset_minutes, 120);

  auto negative = parse_rfc3339("2026-11-20T09:01:07-05:30");
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->unix_seconds, 1795185067);
  EXPECT_EQ(negative->offset_minutes, -330);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z")->unix_seconds, 0);
}

TEST(Timestamp, RejectsMalformedDates) {
  for (const char *bad :
       {"", "2026-11-20", "2026-11-20T14:31:07", "2026-13-20T14:31:07Z", "2026-02-30T00:00:00Z", "2026-11-20T24:00:00Z",
        "2026-11-20T14:31:07Zjunk", "2026-11-20T14:31:07.Z", "2026-11-20T14:31:07+0200", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(Timestamp, FormatsUtcDatesAndTimesOfDay) {
  EXPECT_EQ(utc_date_time(1795185067), "2026-11-20T14:31:07Z");
  EXPECT_EQ(utc_date_time(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_time_of_day(1795185067), "14:31:07 UTC");
}

TEST(Timestamp, ReadsTheSystemClockInWholeSeconds) {
  const auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795185067999));
  EXPECT_EQ(unix_seconds_of(when), 1795185067);
  const std::int64_t before = unix_seconds_of(std::chrono::system_clock::now());
  const std::int64_t now = unix_now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, unix_seconds_of(std::chrono::system_clock::now()));
}
