#include "render/render.hpp"

#include <gtest/gtest.h>

#include "base/url_userinfo.hpp"
#include "fake_api.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kTaskId = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

TaskVersion version_from(const test::FakeVersion &fake) {
  auto version = parse_task_version(fake.to_json(), fake.task_id);
  EXPECT_TRUE(version.ok()) << version.error().message;
  return std::move(version).value();
}

} // namespace

TEST(Render, ReproducesTheWorkedExampleByteForByte) {
  auto version = parse_task_version(test::read_text(TASKSYNC_TEST_DATA "/example/response.json"), kTaskId);
  ASSERT_TRUE(version.ok()) << version.error().message;
  const Snapshot snapshot = render(*version);
  ASSERT_EQ(snapshot.files.size(), 2u);
  EXPECT_EQ(snapshot.files[0].name, "task.json");
  EXPECT_EQ(snapshot.files[0].content, test::read_text(TASKSYNC_TEST_DATA "/example/task.json"));
  EXPECT_EQ(snapshot.files[1].name, "task.ts");
  EXPECT_EQ(snapshot.files[1].content, test::read_text(TASKSYNC_TEST_DATA "/example/task.ts"));
}

TEST(Render, CodeFileFollowsTheLanguage) {
  EXPECT_EQ(code_file_name(std::nullopt), "task.ts");
  EXPECT_EQ(code_file_name("typescript"), "task.ts");
  EXPECT_EQ(code_file_name("javascript"), "task.js");
  EXPECT_EQ(code_file_name("workflow"), "task.workflow.json");
  EXPECT_EQ(code_file_name("python"), "task.py");
  EXPECT_EQ(code_file_name("predefined"), "task.txt");
  EXPECT_EQ(code_file_name("cobol"), "task.txt");
  EXPECT_EQ(code_file_name("Python"), "task.txt"); // the API's values are lower case; nothing is guessed
  EXPECT_EQ(code_file_name(""), "task.txt");
  for (const char *language : {"typescript", "javascript", "python", "workflow", "predefined"})
    EXPECT_TRUE(is_known_language(language)) << language;
  EXPECT_TRUE(is_known_language(std::nullopt));
  EXPECT_FALSE(is_known_language("cobol"));
  EXPECT_FALSE(is_known_language("Python"));

  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.language = "workflow";
  fake.code = R"({"steps":[]})";
  const Snapshot snapshot = render(version_from(fake));
  EXPECT_EQ(snapshot.files[0].name, "task.json");
  EXPECT_EQ(snapshot.files[1].name, "task.workflow.json");
  EXPECT_EQ(snapshot.files[1].content, R"({"steps":[]})");
}

TEST(Render, SidecarIsCanonicalAndKeepsUnknownFields) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.language.reset();
  fake.description.reset();
  fake.browser_configuration =
      R"({"zeta":{"b":[3,{"y":1,"x":2}],"a":null},"alpha":1.5,"empty":{},"list":[],"text":"é\"\n"})";
  EXPECT_EQ(render_sidecar(version_from(fake)), R"({
  "browserConfiguration": {
    "alpha": 1.5,
    "empty": {},
    "list": [],
    "text": "é\"\n",
    "zeta": {
      "a": null,
      "b": [
        3,
        {
          "x": 2,
          "y": 1
        }
      ]
    }
  },
  "createdAt": "2026-10-01T08:00:00Z",
  "taskId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
  "updatedAt": "2026-11-20T14:31:07Z",
  "version": "1"
}
)");
}

TEST(Render, RedactsEveryPasswordAtAnyDepth) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.browser_configuration =
      R"({"proxy":{"password":"hunter2","username":"u"},"extra":[{"password":{"nested":"hunter3"}}],"password":987654321})";
  const std::string sidecar = render_sidecar(version_from(fake));
  EXPECT_EQ(sidecar.find("hunter"), std::string::npos) << sidecar;
  EXPECT_EQ(sidecar.find("987654321"), std::string::npos) << sidecar;
  std::size_t count = 0;
  for (auto at = sidecar.find(R"("password": "<redacted>")"); at != std::string::npos;
       at = sidecar.find(R"("password": "<redacted>")", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

TEST(Render, SameDataGivesTheSameBytes) {
  test::FakeVersion a;
  a.task_id = kTaskId;
  a.browser_configuration = R"({"b":1,"a":{"d":2,"c":3}})";
  test::FakeVersion b = a;
  b.browser_configuration = R"({"a":{"c":3,"d":2},"b":1})";
  EXPECT_EQ(render_sidecar(version_from(a)), render_sidecar(version_from(b)));
}

TEST(Render, CredentialKeysAreRecognisedInAnyCaseAndSpelling) {
  for (const std::string key : {"password",
                                "Password",
                                "PASSWORD",
                                "proxy_password",
                                "proxyPassword",
                                "passwd",
                                "passphrase",
                                "secret",
                                "client_secret",
                                "clientSecret",
                                "token",
                                "accessToken",
                                "access_token",
                                "refresh-token",
                                "apiKey",
                                "api_key",
                                "api-key",
                                "APIKEY",
                                "x-api-key",
                                "X-Api-Key",
                                "access_key",
                                "accessKey",
                                "AWS_ACCESS_KEY_ID",
                                "private_key",
                                "privateKey",
                                "credential",
                                "credentials",
                                "Credentials",
                                "authorization",
                                "Authorization",
                                "proxy-authorization",
                                "cookie",
                                "cookies",
                                "Set-Cookie",
                                "tokenizer"}) {
    EXPECT_TRUE(is_credential_key(key)) << key;
  }
  for (const std::string key : {"username", "user", "server", "initial_url", "session", "proxy", "author", "key",
                                "keyboard", "monkey", "pass", "type", "country_code", "headless", "", "токен"}) {
    EXPECT_FALSE(is_credential_key(key)) << key;
  }
}

TEST(Render, RedactsEveryCredentialVariantAtAnyDepthWhateverTheValuesType) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.browser_configuration = R"({
    "Password": "marker-01", "PASSWORD": "marker-02", "proxy_password": "marker-03", "token": "marker-04",
    "apiKey": "marker-05", "secret": "marker-06", "x-api-key": "marker-07", "accessToken": "marker-08",
    "client_secret": "marker-09", "Set-Cookie": "marker-10", "private_key": {"pem": "marker-11"},
    "credentials": ["marker-12", {"inner": "marker-13"}], "access_key": 1234500013,
    "list": [{"auth": {"Authorization": "Bearer marker-14"}}, [{"passwd": true}, {"api-key": null}]],
    "proxy": {"type": "custom", "server": "http://user:marker-15@proxy.example:8080", "username": "user",
              "password": "marker-16"}
  })";
  const std::string sidecar = render_sidecar(version_from(fake));
  EXPECT_EQ(sidecar.find("marker"), std::string::npos) << sidecar;
  EXPECT_EQ(sidecar.find("1234500013"), std::string::npos) << sidecar;
  EXPECT_EQ(R"({
  "browserConfiguration": {
    "PASSWORD": "<redacted>",
    "Password": "<redacted>",
    "Set-Cookie": "<redacted>",
    "accessToken": "<redacted>",
    "access_key": "<redacted>",
    "apiKey": "<redacted>",
    "client_secret": "<redacted>",
    "credentials": "<redacted>",
    "list": [
      {
        "auth": {
          "Authorization": "<redacted>"
        }
      },
      [
        {
          "passwd": "<redacted>"
        },
        {
          "api-key": "<redacted>"
        }
      ]
    ],
    "private_key": "<redacted>",
    "proxy": {
      "password": "<redacted>",
      "server": "http://user:<redacted>@proxy.example:8080",
      "type": "custom",
      "username": "user"
    },
    "proxy_password": "<redacted>",
    "secret": "<redacted>",
    "token": "<redacted>",
    "x-api-key": "<redacted>"
  },)",
            sidecar.substr(0, sidecar.find("\n  \"createdAt\"")));
}

TEST(Render, UrlUserinfoIsRedactedWhateverTheKeyOrScheme) {
  EXPECT_EQ(redact_url_userinfo("http://user:PASSWORD@proxy.example:8080"),
            "http://user:<redacted>@proxy.example:8080");
  EXPECT_EQ(redact_url_userinfo("HTTP://user:pw@host/path?q=1"), "HTTP://user:<redacted>@host/path?q=1");
  EXPECT_EQ(redact_url_userinfo("https://ghp_token123@github.com/o/r.git"), "https://<redacted>@github.com/o/r.git");
  EXPECT_EQ(redact_url_userinfo("socks5://u:p@ss@h:1080"), "socks5://u:<redacted>@h:1080");
  EXPECT_EQ(redact_url_userinfo("http://user:@host"), "http://user:<redacted>@host");
  EXPECT_EQ(redact_url_userinfo("--proxy-server=http://a:b@h1 and ftp://c@h2#x"),
            "--proxy-server=http://a:<redacted>@h1 and ftp://<redacted>@h2#x");
  // No userinfo, nothing to hide: unchanged.
  for (const std::string kept :
       {"https://example.com/login", "https://medium.com/@user", "http://host/a@b", "http://host?to=a@b",
        "mailto:someone@example.com", "user:pass@host", "://", "http://@host", "plain text"}) {
    EXPECT_EQ(redact_url_userinfo(kept), kept);
  }

  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.description = "log in through https://admin:marker-desc@intranet.example/";
  fake.browser_configuration = R"({"initial_url": "https://example.com/a@b?x=1",
    "servers": ["http://u:marker-a@one.example", {"upstream": "HTTPS://marker-b@two.example:443/x"}],
    "by_url": {"http://k:marker-c@three.example": 1}})";
  const std::string sidecar = render_sidecar(version_from(fake));
  EXPECT_EQ(sidecar.find("marker"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find(R"("initial_url": "https://example.com/a@b?x=1")"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find(R"("http://u:<redacted>@one.example")"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find(R"("upstream": "HTTPS://<redacted>@two.example:443/x")"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find(R"("http://k:<redacted>@three.example": 1)"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find(R"("description": "log in through https://admin:<redacted>@intranet.example/")"),
            std::string::npos)
      << sidecar;
}

TEST(Render, EveryStringOfTheSidecarLosesItsUrlUserinfoWhateverTheVersionHolds) {
  // Built here, not parsed: render redacts whatever reached it.
  TaskVersion version;
  version.task_id = kTaskId;
  version.version = "1";
  version.language = "https://lang:marker-language@git.example/x.git";
  version.description = "deploy via https://bot:marker-description@git.example/x.git";
  version.created_at = "ftp://marker-created@h/";
  version.updated_at = "2026-11-20T14:31:07Z";
  const std::string sidecar = render_sidecar(version);
  EXPECT_EQ(sidecar.find("marker"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find(R"("language": "https://lang:<redacted>@git.example/x.git")"), std::string::npos) << sidecar;
}

TEST(Render, TheCodeAndControlBytesAreKeptExactly) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.code = "// \x1b]0;pwned\x07\x1b[2J token=http://u:p@h\n";
  fake.description = "\x1b[2J";
  const Snapshot snapshot = render(version_from(fake));
  EXPECT_EQ(snapshot.files[1].content, fake.code);
  EXPECT_NE(snapshot.files[0].content.find(R"("description": "\u001B[2J")"), std::string::npos)
      << snapshot.files[0].content;
}
