#include "config/base_url.hpp"

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

TEST(BaseUrl, LoopbackMeansALiteralAddressOrLocalhostNeverASpelling) {
  for (const char *url : {"http://127.0.0.1:8080", "http://127.1.2.3", "http://[::1]:9000", "http://localhost:1",
                          "http://LocalHost", "HTTP://127.0.0.1:1"}) {
    auto parsed = parse_base_url(url);
    ASSERT_TRUE(parsed.ok()) << url;
    EXPECT_TRUE(parsed->is_loopback()) << url;
    EXPECT_EQ(parsed->scheme, "http") << url;
  }
  for (const char *url : {"http://127.attacker.example", "http://127.0.0.1.nip.io", "http://127.0.0.1.", "http://127.1",
                          "http://localhost.attacker.example", "http://128.0.0.1", "http://[::2]", "http://0x7f000001",
                          "http://[::ffff:128.0.0.1]"}) {
    auto parsed = parse_base_url(url);
    ASSERT_TRUE(parsed.ok()) << url;
    EXPECT_FALSE(parsed->is_loopback()) << url;
  }
}

TEST(BaseUrl, SplitUrlComparesSchemesInAnyCase) {
  auto parts = split_url("HTTPS://user:token@Host.Example:8443/x.git?q#f");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->scheme, "https");
  EXPECT_EQ(parts->user_info, "user:token");
  EXPECT_EQ(parts->host_port, "Host.Example:8443");
  EXPECT_EQ(parts->rest, "/x.git?q#f");
  EXPECT_FALSE(split_url("https://host/path@x")->user_info) << "an @ in the path is no user info";
  EXPECT_FALSE(split_url("git@host:team/repo.git"));
  EXPECT_FALSE(split_url("/srv/odd://name"));
  EXPECT_FALSE(parse_base_url("HTTPS://user:secret@host").ok());
}
