#include "base_url.hpp"

#include <gtest/gtest.h>

using namespace tasksync;

TEST(BaseUrl, SplitsOriginAndPrefix) {
  auto url = parse_base_url("https://api.anchorbrowser.io");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->origin(), "https://api.anchorbrowser.io:443");
  EXPECT_EQ(url->path_prefix, "");
  EXPECT_FALSE(url->is_loopback());

  url = parse_base_url("HTTP://127.0.0.1:8080/proxy/anchor/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->origin(), "http://127.0.0.1:8080");
  EXPECT_EQ(url->path_prefix, "/proxy/anchor");
  EXPECT_TRUE(url->is_loopback());

  url = parse_base_url("http://[::1]:9000");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->origin(), "http://[::1]:9000");
}

TEST(BaseUrl, RefusesWhatItCannotUseSafely) {
  EXPECT_FALSE(parse_base_url("api.anchorbrowser.io").ok());
  EXPECT_FALSE(parse_base_url("ftp://host").ok());
  EXPECT_FALSE(parse_base_url("https://").ok());
  EXPECT_FALSE(parse_base_url("https://host:0").ok());
  EXPECT_FALSE(parse_base_url("https://host:99999").ok());
  EXPECT_FALSE(parse_base_url("https://host:12ab").ok());
  EXPECT_FALSE(parse_base_url("https://host/?q=1").ok());
  EXPECT_FALSE(parse_base_url("https://user:secret@host").ok());
  EXPECT_EQ(parse_base_url("https://user:secret@host").error().message.find("secret"), std::string::npos);
}
