#include "base/hex.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace tasksync;

TEST(Hex, AppendsTwoLowerCaseDigitsPerByte) {
  std::string out = "pack-";
  const std::array<unsigned char, 4> bytes{0x00, 0x0f, 0xa0, 0xff};
  append_hex(out, bytes);
  EXPECT_EQ(out, "pack-000fa0ff");
  append_hex(out, {});
  EXPECT_EQ(out, "pack-000fa0ff");
}
