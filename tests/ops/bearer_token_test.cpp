#include "ops/bearer_token.hpp"

#include <gtest/gtest.h>

using namespace tasksync;

TEST(BearerToken, AcceptsExactlyTheBearerSchemeAndTheToken) {
  BearerToken token("s3cret-token-of-enough-length");
  EXPECT_TRUE(token.accepts("Bearer s3cret-token-of-enough-length"));
  EXPECT_FALSE(token.accepts(""));
  EXPECT_FALSE(token.accepts("Bearer "));
  EXPECT_FALSE(token.accepts("Bearer s3cret-token-of-enough-lengt"));
  EXPECT_FALSE(token.accepts("Bearer s3cret-token-of-enough-length "));
  EXPECT_FALSE(token.accepts("bearer s3cret-token-of-enough-length"));
  EXPECT_FALSE(token.accepts("s3cret-token-of-enough-length"));
  token.set("another-token-after-a-reload");
  EXPECT_FALSE(token.accepts("Bearer s3cret-token-of-enough-length"));
  EXPECT_TRUE(token.accepts("Bearer another-token-after-a-reload"));
}

TEST(BearerToken, AnEmptyTokenAcceptsNothing) {
  BearerToken token("");
  EXPECT_FALSE(token.accepts("Bearer "));
  EXPECT_FALSE(token.accepts(""));
}
