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
  EXPECT_FALSE(decode_base64("aGVsbG8=aGVs").ok()); // data after padding
  EXPECT_NE(decode_base64("ab%d").error().message.find("offset 2"), std::string::npos);
}

// The vendor's write schemas accept base64 without its '=' padding (`^[A-Za-z0-9+/]*={0,2}$`), so
// the API may serve such code: it decodes to the same bytes as the padded form.
TEST(Base64, DecodesInputWithoutItsPadding) {
  for (const std::string bytes : {"h", "he", "hel", "hell", "hello", "hello world", "hello world!"}) {
    const std::string padded = encode_base64(bytes);
    const std::string unpadded = padded.substr(0, padded.find('='));
    const auto decoded = decode_base64(unpadded);
    ASSERT_TRUE(decoded.ok()) << unpadded << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, bytes) << unpadded;
  }
  EXPECT_EQ(*decode_base64("aGVsbG8"), "hello");               // 7 characters: 3 left over
  EXPECT_EQ(*decode_base64("aGVsbG8gd29ybGQ"), "hello world"); // 15: 3 left over
  EXPECT_EQ(*decode_base64("aA"), "h");                        // 2 left over
  EXPECT_EQ(*decode_base64("aA="), "h");                       // half the padding, as the schema allows
  EXPECT_EQ(*decode_base64("aGVs\nbG8g\r\nd29y bGQ\n"), "hello world");
  EXPECT_EQ(*decode_base64("aG\nU \t"), "he");
  std::string bytes;
  for (int i = 0; i < 3 * 1024 * 1024 + 1; ++i)
    bytes += static_cast<char>(i * 7); // crosses a chunk
  std::string unpadded = encode_base64(bytes);
  unpadded.erase(unpadded.find('='));
  EXPECT_EQ(*decode_base64(unpadded), bytes);
}

TEST(Base64, RejectsAFinalGroupOfOneCharacter) {
  for (const char *text : {"a", "aGVsb", "aGVsbG8gd", "aGVsb=", "aGVsb==", "aGVs\nb\n"}) {
    const auto decoded = decode_base64(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_NE(decoded.error().message.find("truncated"), std::string::npos) << decoded.error().message;
  }
}

TEST(Base64, RejectsOtherAlphabetsAndMisplacedPaddingWithoutPadding) {
  EXPECT_FALSE(decode_base64("aGVs-bG8").ok());
  EXPECT_FALSE(decode_base64("aGVsbG8_").ok());
  EXPECT_FALSE(decode_base64("aGU-").ok());
  EXPECT_FALSE(decode_base64("aGU_").ok());
  EXPECT_FALSE(decode_base64("aGU=aGU").ok()); // data after padding
  EXPECT_FALSE(decode_base64("aGU==").ok());   // more padding than the data leaves room for
  EXPECT_FALSE(decode_base64("aGVs=").ok());
  EXPECT_NE(decode_base64("aGU==").error().message.find("padding"), std::string::npos);
}

// Whole groups of four go through EVP_DecodeBlock, which alone would read '=' inside as "A" and
// skip whitespace, '-' and line breaks at either end.
TEST(Base64, WholeGroupsAreCheckedAsStrictlyAsAnyOther) {
  EXPECT_FALSE(decode_base64("Q=Q=").ok());
  EXPECT_FALSE(decode_base64("QQ=A").ok());
  EXPECT_FALSE(decode_base64("aGVsbG8=aGU=").ok());
  EXPECT_FALSE(decode_base64("aGVs----").ok());
  EXPECT_FALSE(decode_base64("----aGVs").ok());
  EXPECT_FALSE(decode_base64("aGVs\r\r\r\r-").ok());
  EXPECT_EQ(*decode_base64("aGVs    "), "hel");
  EXPECT_EQ(*decode_base64("    aGVs"), "hel");
  EXPECT_EQ(*decode_base64("aGVsbA=="), "hell");
  EXPECT_EQ(*decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(*decode_base64("aGVsbG8h"), "hello!");
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
