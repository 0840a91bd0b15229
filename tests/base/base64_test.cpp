#include "base/base64.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"

using namespace tasksync;

TEST(Base64, DecodesTheStandardAlphabet) {
  EXPECT_EQ(*decode_base64("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(*decode_base64(""), "");
  EXPECT_EQ(*decode_base64("+/+/"), "\xfb\xff\xbf");
}

TEST(Base64, AcceptsLineBreaksAndWhitespace) { EXPECT_EQ(*decode_base64("aGVs\nbG8g\r\nd29y bGQ=\n"), "hello world"); }

TEST(Base64, RoundTripsBinary) {
  std::string bytes;
  for (int i = 0; i < 3 * 1024 * 1024 + 1; ++i)
    bytes += static_cast<char>(i * 7);
  auto decoded = decode_base64(test::encode_base64(bytes));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
}

TEST(Base64, RejectsInvalidInput) {
  EXPECT_FALSE(decode_base64("aGVsbG8*").ok());
  EXPECT_FALSE(decode_base64("aGVs-bG8=").ok());    // '-' would end EVP's input silently
  EXPECT_FALSE(decode_base64("aGVsbG8_").ok());     // URL-safe alphabet is not what the API sends
  EXPECT_FALSE(decode_base64("aGVsbG8").ok());      // truncated
  EXPECT_FALSE(decode_base64("aGVsbG8=aGVs").ok()); // data after padding
  EXPECT_NE(decode_base64("ab%d").error().message.find("offset 2"), std::string::npos);
}

TEST(Base64, EncodesWithPaddingOnOneLine) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("h"), "aA==");
  EXPECT_EQ(encode_base64("he"), "aGU=");
  EXPECT_EQ(encode_base64("hello world"), "aGVsbG8gd29ybGQ=");
  std::string bytes;
  for (int i = 0; i < 3 * 1024 * 1024 + 2; ++i)
    bytes += static_cast<char>(i * 7); // crosses a chunk
  const std::string encoded = encode_base64(bytes);
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
  EXPECT_EQ(*decode_base64(encoded), bytes);
}
