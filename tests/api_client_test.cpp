#include "api_client.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kKey = "test-api-key";

class ApiClientTest : public ::testing::Test {
protected:
  ApiClient client(const std::string &key = kKey) {
    auto created = ApiClient::create(m_settings, key);
    EXPECT_TRUE(created.ok()) << created.error().message;
    return std::move(created).value();
  }

  ApiClientTest() {
    m_settings.base_url = *parse_base_url(m_api.base_url());
    m_settings.timeout = std::chrono::seconds(5);
  }

  test::FakeApi m_api{kKey};
  ApiSettings m_settings;
};

} // namespace

TEST_F(ApiClientTest, FetchesAndDecodesTheLatestVersion) {
  test::FakeVersion fake;
  fake.task_id = kTask;
  fake.version = "12";
  fake.code = "console.log('hi');\n";
  m_api.set_version(fake);
  ApiClient api = client();
  auto version = api.fetch_latest(kTask);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(version->version, "12");
  EXPECT_EQ(version->code, "console.log('hi');\n");
  // The connection is kept alive and reused.
  ASSERT_TRUE(api.fetch_latest(kTask).ok());
  EXPECT_EQ(m_api.requests(kTask), 2);
  EXPECT_EQ(m_api.rejected_keys(), 0);
}

TEST_F(ApiClientTest, NotFoundCarriesTheApiMessage) {
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind, FetchError::Kind::http_status);
  EXPECT_EQ(version.error().http_status, 404);
  EXPECT_EQ(version.error().message, "HTTP 404: Task or version not found");
  EXPECT_FALSE(version.error().is_auth_failure());
}

TEST_F(ApiClientTest, ServerErrorsWithAndWithoutAJsonBody) {
  m_api.set_reply(kTask, {500, R"({"error":{"code":500,"message":"Failed to retrieve task version"}})", {}});
  EXPECT_EQ(client().fetch_latest(kTask).error().message, "HTTP 500: Failed to retrieve task version");
  m_api.set_reply(kTask, {502, "<html>\nBad Gateway\n</html>", {}});
  EXPECT_EQ(client().fetch_latest(kTask).error().message, "HTTP 502: <html> Bad Gateway </html>");
  m_api.set_reply(kTask, {503, "", {}});
  EXPECT_EQ(client().fetch_latest(kTask).error().message, "HTTP 503: (empty body)");
}

TEST_F(ApiClientTest, RejectedKeyIsAnAuthFailureAndNeverEchoed) {
  auto version = client("wrong-secret-key").fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_TRUE(version.error().is_auth_failure());
  EXPECT_EQ(version.error().message, "HTTP 401: Invalid API key");
  EXPECT_EQ(m_api.rejected_keys(), 1);
}

TEST_F(ApiClientTest, InvalidBodiesAreReportedAsSuch) {
  m_api.set_reply(kTask, {200, "{\"data\": {", {}});
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind, FetchError::Kind::invalid_response);
  EXPECT_EQ(version.error().message.rfind("invalid response: malformed JSON", 0), 0u) << version.error().message;
}

TEST_F(ApiClientTest, OversizedResponsesAreRefused) {
  m_settings.max_response_bytes = 2048;
  test::FakeVersion fake;
  fake.task_id = kTask;
  fake.code = std::string(4096, 'x');
  m_api.set_version(fake);
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message, "response larger than 2048 bytes");
}

TEST_F(ApiClientTest, UnreachableServerNamesTheUrl) {
  m_settings.base_url = *parse_base_url("http://127.0.0.1:" + std::to_string(test::free_port()));
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind, FetchError::Kind::transport);
  EXPECT_EQ(version.error().message, "cannot connect (" + m_settings.base_url.to_string() + ")");
}

TEST_F(ApiClientTest, SilentServerFailsAfterTheTimeout) {
  m_settings.timeout = std::chrono::seconds(1);
  test::FakeVersion fake;
  fake.task_id = kTask;
  m_api.set_version(fake);
  m_api.set_reply(kTask, {200, fake.to_json(), std::chrono::milliseconds(2500)});
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().kind, FetchError::Kind::transport);
}

TEST_F(ApiClientTest, UsesTheBaseUrlPathPrefix) {
  m_settings.base_url = *parse_base_url(m_api.base_url() + "/prefix");
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().http_status, 404);
  EXPECT_EQ(m_api.requests(kTask), 0); // the fake serves no /prefix/v1/... route
}

TEST(ApiClientCreate, RefusesACaFileWithoutCertificates) {
  test::TempDir dir;
  test::write_text(dir / "ca.pem", "not a certificate\n");
  ApiSettings settings;
  settings.base_url = *parse_base_url("https://api.anchorbrowser.io");
  settings.ca_file = dir / "ca.pem";
  auto created = ApiClient::create(settings, kKey);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.error().message.find("api.ca_file"), std::string::npos);
}
