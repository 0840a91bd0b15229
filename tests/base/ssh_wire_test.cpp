#include "base/ssh_wire.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace tasksync;

TEST(SshWire, WritesBigEndianU32AndLengthPrefixedStrings) {
  std::string out;
  put_wire_u32(out, 0x01020304);
  put_wire_string(out, "ssh-ed25519");
  put_wire_string(out, "");
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\0\0\0\x0bssh-ed25519\0\0\0\0", 4 + 4 + 11 + 4));
}

TEST(SshWire, ReadsBackWhatWasWritten) {
  const std::string binary("a\0\xff\n", 4);
  std::string out;
  put_wire_u32(out, 0);
  put_wire_u32(out, 0xffffffff);
  put_wire_string(out, binary);
  put_wire_string(out, "");
  put_wire_string(out, std::string(70000, 'x'));
  out += "rest";
  WireReader in(out);
  EXPECT_EQ(in.u32(), 0u);
  EXPECT_EQ(in.u32(), 0xffffffffu);
  EXPECT_EQ(in.string(), binary);
  EXPECT_EQ(in.string(), "");
  EXPECT_EQ(in.string(), std::string(70000, 'x'));
  EXPECT_EQ(in.bytes(4), "rest");
  EXPECT_FALSE(in.bytes(1));
  EXPECT_EQ(in.bytes(0), "");
}

TEST(SshWire, ATruncatedU32IsNotRead) {
  for (std::size_t size = 0; size < 4; ++size) {
    WireReader in(std::string_view("\x01\x02\x03", size));
    EXPECT_FALSE(in.u32()) << size;
  }
}

TEST(SshWire, AStringLongerThanTheRestIsNotRead) {
  std::string out;
  put_wire_u32(out, 6);
  out += "hello"; // one byte short
  WireReader in(out);
  EXPECT_FALSE(in.string());
  // Nor is one whose length itself is cut short.
  WireReader cut(std::string_view("\0\0\0", 3));
  EXPECT_FALSE(cut.string());
}

TEST(SshWire, AnAllOnesLengthIsNotReadAndDoesNotWrapAround) {
  // 0xffffffff added to the offset must not wrap to a small position or read past the buffer.
  std::string out("\xff\xff\xff\xff", 4);
  out += std::string(64, 'x');
  WireReader in(out);
  EXPECT_FALSE(in.string());
  std::string after_u32;
  put_wire_u32(after_u32, 7);
  put_wire_u32(after_u32, 0xffffffff);
  after_u32 += "abc";
  WireReader second(after_u32);
  EXPECT_EQ(second.u32(), 7u);
  EXPECT_FALSE(second.string());
}

TEST(SshWire, ABytesCountBeyondTheBufferIsNotRead) {
  WireReader in("abc");
  EXPECT_FALSE(in.bytes(4));
  EXPECT_FALSE(in.bytes(static_cast<std::size_t>(-1)));
  EXPECT_EQ(in.bytes(3), "abc");
}
