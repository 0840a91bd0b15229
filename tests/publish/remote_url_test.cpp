#include "publish/remote_url.hpp"

#include <gtest/gtest.h>

using namespace tasksync::publish_detail;

TEST(RemoteUrlTest, PathsAndFileUrlsAreLocal) {
  const RemoteUrl path = parse_remote("/srv/mirror.git");
  EXPECT_EQ(path.transport, Transport::local);
  EXPECT_EQ(path.path, "/srv/mirror.git");
  EXPECT_EQ(path.display, "/srv/mirror.git");
  EXPECT_EQ(parse_remote("./relative:with-colon").transport, Transport::local);

  const RemoteUrl file = parse_remote("FILE:///srv/mirror.git");
  EXPECT_EQ(file.transport, Transport::local);
  EXPECT_EQ(file.path, "/srv/mirror.git");
  EXPECT_FALSE(uses_token(file));
}

TEST(RemoteUrlTest, ScpLikeAndSshUrlsAreSshWithTheirPort) {
  const RemoteUrl scp = parse_remote("git@git.example.com:team/mirror.git");
  EXPECT_EQ(scp.transport, Transport::ssh);
  EXPECT_EQ(scp.port, 22);

  const RemoteUrl ssh = parse_remote("ssh://git@git.example.com:2222/team/mirror.git");
  EXPECT_EQ(ssh.transport, Transport::ssh);
  EXPECT_EQ(ssh.port, 2222);
  EXPECT_EQ(ssh.display, "ssh://git@git.example.com:2222/team/mirror.git");
  EXPECT_EQ(parse_remote("git+ssh://[::1]/mirror.git").port, 22);
  EXPECT_FALSE(uses_token(ssh));
}

TEST(RemoteUrlTest, SecretsInTheUserInfoStayOutOfTheDisplay) {
  const RemoteUrl https = parse_remote("HTTPS://TOKEN@git.example.com/mirror.git");
  EXPECT_EQ(https.transport, Transport::http);
  EXPECT_EQ(https.display, "https://git.example.com/mirror.git");
  EXPECT_TRUE(uses_token(https));

  const RemoteUrl ssh = parse_remote("ssh://user:password@git.example.com/mirror.git");
  EXPECT_EQ(ssh.secret, "password");
  EXPECT_EQ(ssh.display, "ssh://user@git.example.com/mirror.git");
}

TEST(RemoteUrlTest, HttpRemotesHaveTheirSchemesDefaultPort) {
  EXPECT_EQ(parse_remote("http://127.0.0.1/x.git").port, 80);
  EXPECT_EQ(parse_remote("HTTPS://git.example.com/x.git").port, 443);
  EXPECT_EQ(parse_remote("HTTPS://git.example.com/x.git").scheme, "https");
  EXPECT_EQ(parse_remote("https://[::1]:8443/x.git").port, 8443);
  EXPECT_EQ(parse_remote("https://[::1]:8443/x.git").host, "::1");
  EXPECT_EQ(parse_remote("git@git.example.com:team/mirror.git").scheme, "ssh");
}

TEST(RemoteUrlTest, OnlyPlainHttpToAHostThatIsNotLoopbackIsClearTextOffHost) {
  EXPECT_TRUE(is_clear_text_off_host(parse_remote("http://git.example.com/x.git")));
  EXPECT_TRUE(is_clear_text_off_host(parse_remote("HTTP://192.0.2.7:8080/x.git")));
  // A name is not judged by what it resolves to, however it is spelled.
  EXPECT_TRUE(is_clear_text_off_host(parse_remote("http://127.1/x.git")));
  EXPECT_FALSE(is_clear_text_off_host(parse_remote("http://127.0.0.1:8080/x.git")));
  EXPECT_FALSE(is_clear_text_off_host(parse_remote("http://localhost/x.git")));
  EXPECT_FALSE(is_clear_text_off_host(parse_remote("http://[::1]/x.git")));
  EXPECT_FALSE(is_clear_text_off_host(parse_remote("https://git.example.com/x.git")));
  EXPECT_FALSE(is_clear_text_off_host(parse_remote("ssh://git@git.example.com/x.git")));
}
