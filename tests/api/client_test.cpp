#include "api/client.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "base/log.hpp"
#include "fake_api.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

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
    m_settings.retries = 0; // tests of retrying say so
  }

  std::string version_body() const {
    test::FakeVersion fake;
    fake.task_id = kTask;
    return fake.to_json();
  }

  test::FakeApi m_api{kKey};
  ApiSettings m_settings;
};

// A stop request once `after` has passed, so that a test of a bound ends even without the bound.
class StopAfter {
public:
  explicit StopAfter(std::chrono::milliseconds after)
      : m_timer([this, after](std::stop_token done) {
          std::mutex mutex;
          std::condition_variable_any timer;
          std::unique_lock lock(mutex);
          timer.wait_for(lock, done, after, [] { return false; });
          if (!done.stop_requested()) m_stop.request_stop();
        }) {}
  std::stop_token token() const { return m_stop.get_token(); }

private:
  std::stop_source m_stop;
  std::jthread m_timer;
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

TEST_F(ApiClientTest, TransientFailuresAreRetried) {
  m_settings.retries = 3;
  m_api.set_replies(kTask, {{503, "", {}}, {502, "", {}}, {200, version_body(), {}}});
  auto version = client().fetch_latest(kTask);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(m_api.requests(kTask), 3);
}

TEST_F(ApiClientTest, PermanentFailuresAreNotRetried) {
  m_settings.retries = 3;
  for (const int status : {400, 401, 403, 404}) {
    const std::string task = "00000000-0000-4000-8000-00000000000" + std::to_string(status % 10);
    m_api.set_reply(task, {status, R"({"error":{"code":1,"message":"no"}})", {}});
    EXPECT_FALSE(client().fetch_latest(task).ok());
    EXPECT_EQ(m_api.requests(task), 1) << status;
  }
}

TEST_F(ApiClientTest, RetriesEndAfterTheConfiguredCount) {
  m_settings.retries = 2;
  m_api.set_reply(kTask, {500, R"({"error":{"code":500,"message":"Failed to retrieve task version"}})", {}});
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message, "HTTP 500: Failed to retrieve task version (gave up after 3 attempts)");
  EXPECT_EQ(m_api.requests(kTask), 3);
}

TEST_F(ApiClientTest, RetryAfterAndRateLimitAreHonoured) {
  m_settings.retries = 1;
  m_api.set_replies(kTask, {{429, "", {}, {{"Retry-After", "1"}}}, {200, version_body(), {}}});
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(client().fetch_latest(kTask).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);

  const std::string other = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
  m_api.set_replies(other, {{429, "", {}, {{"RateLimit", "limit=10, remaining=0, reset=1"}}}, {404, "", {}}});
  started = std::chrono::steady_clock::now();
  EXPECT_EQ(client().fetch_latest(other).error().http_status, 404);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(ApiClientTest, XShouldRetryDecidesOverTheStatus) {
  m_settings.retries = 2;
  m_api.set_reply(kTask, {503, "", {}, {{"x-should-retry", "false"}}});
  EXPECT_FALSE(client().fetch_latest(kTask).ok());
  EXPECT_EQ(m_api.requests(kTask), 1) << "false forbids a retry of a 503";

  const std::string other = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
  m_api.set_replies(other, {{400, "", {}, {{"X-Should-Retry", "TRUE"}}}, {200, "", {}}});
  EXPECT_EQ(client().fetch_latest(other).error().kind, FetchError::Kind::invalid_response);
  EXPECT_EQ(m_api.requests(other), 2) << "true forces a retry of a 400";
}

TEST_F(ApiClientTest, AConflictIsRetriedLikeATooManyRequests) {
  m_settings.retries = 1;
  m_api.set_replies(kTask, {{409, R"({"error":{"code":409,"message":"Conflict"}})", {}}, {200, version_body(), {}}});
  ASSERT_TRUE(client().fetch_latest(kTask).ok());
  EXPECT_EQ(m_api.requests(kTask), 2);
}

TEST_F(ApiClientTest, RetryAfterMsComesBeforeRetryAfter) {
  m_settings.retries = 1;
  m_api.set_replies(kTask,
                    {{429, "", {}, {{"retry-after-ms", "1200"}, {"Retry-After", "60"}}}, {200, version_body(), {}}});
  const auto started = std::chrono::steady_clock::now();
  // Retry-After's 60 s would not fit before the next pass: only retry-after-ms lets it succeed.
  auto version = client().fetch_latest(kTask, {}, started + 20s);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1200ms);
  EXPECT_EQ(m_api.requests(kTask), 2);
}

TEST_F(ApiClientTest, EachRetryIsLoggedAtDebugWithTheTaskTheStatusAndTheWait) {
  m_settings.retries = 1;
  std::vector<std::string> lines;
  log::set_level(LogLevel::debug);
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  m_api.set_replies(kTask, {{503, R"({"error":{"code":503,"message":"busy"}})", {}, {{"retry-after-ms", "10"}}},
                            {200, version_body(), {}}});
  const bool fetched = client().fetch_latest(kTask).ok();
  log::set_sink({});
  log::set_level(LogLevel::info);
  EXPECT_TRUE(fetched);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("GET /v1/task/" + kTask + "/latest: HTTP 503: busy; retry 1 of 1 in "), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find(" ms (as the API asked)"), std::string::npos) << lines[0];
}

TEST_F(ApiClientTest, DeprecationAndSunsetHeadersBecomeNotices) {
  const auto notices = std::make_shared<DeprecationNotices>();
  auto created = ApiClient::create(m_settings, kKey, std::make_shared<RequestGate>(), notices);
  ASSERT_TRUE(created.ok());
  m_api.set_reply(
      kTask, {200, version_body(), {}, {{"Deprecation", "@1772323200"}, {"Sunset", "Thu, 31 Dec 2026 23:59:59 GMT"}}});
  ASSERT_TRUE(created->fetch_latest(kTask).ok());
  const auto all = notices->all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].endpoint, "GET /v1/task/{id}/latest");
  EXPECT_EQ(all[0].sunset_at, 1798761599);
}

TEST_F(ApiClientTest, RetriesNeverOutlastThePass) {
  m_settings.retries = 3;
  m_api.set_reply(kTask, {503, "", {}, {{"Retry-After", "60"}}});
  const auto started = std::chrono::steady_clock::now();
  auto version = client().fetch_latest(kTask, {}, started + 2s);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().message.find("the API asked to wait 60 s, longer than the 1 s left before the next pass"),
            std::string::npos)
      << version.error().message;
  EXPECT_EQ(m_api.requests(kTask), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(ApiClientTest, AServerThatTricklesIsCutOffAtTheDeadline) {
  m_settings.timeout = 1s;
  m_api.set_reply(kTask, {200, version_body(), {}, {}, 50ms});
  const auto started = std::chrono::steady_clock::now();
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message, "no complete response within 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(ApiClientTest, AServerThatTricklesItsHeadersIsCutOffAtTheDeadline) {
  m_settings.timeout = 1s;
  m_api.set_reply(kTask, {200, version_body(), {}, {}, {}, 100ms}); // ~10 s of headers
  const auto started = std::chrono::steady_clock::now();
  ApiClient api = client();
  auto version = api.fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message, "no complete response within 1 s");
  EXPECT_TRUE(version.error().retryable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
  // The client stays usable: the next request gets a fresh connection and its whole time.
  m_api.set_reply(kTask, {200, version_body(), {}});
  auto next = api.fetch_latest(kTask);
  EXPECT_TRUE(next.ok()) << next.error().message;
}

TEST_F(ApiClientTest, AChunkedBodyTrickledByteByByteIsCutOffAtTheDeadline) {
  m_settings.timeout = 1s;
  // One-byte chunks, every byte of "1\r\nX\r\n" (the chunk-size lines too) 20 ms apart: ~40 s.
  m_api.set_reply(kTask, {200, version_body(), {}, {}, 20ms, {}, true});
  const auto started = std::chrono::steady_clock::now();
  auto version = client().fetch_latest(kTask);
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message, "no complete response within 1 s");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms);
}

TEST_F(ApiClientTest, AChunkedBodyThatArrivesInTimeIsRead) {
  m_settings.timeout = 2s;
  m_api.set_reply(kTask, {200, version_body(), {}, {}, {}, 1ms, true});
  auto version = client().fetch_latest(kTask);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(version->task_id, kTask);
}

TEST_F(ApiClientTest, WithoutANextPassARetryAfterLongerThanTheTimeoutFailsAtOnce) {
  m_settings.timeout = 2s;
  m_settings.retries = 3;
  m_api.set_replies(kTask, {{429, R"({"error":{"code":429,"message":"Slow down"}})", {}, {{"Retry-After", "3600"}}},
                            {200, version_body(), {}}});
  const StopAfter give_up(5s); // without the limit the retry would wait the whole hour
  const auto started = std::chrono::steady_clock::now();
  auto version = client().fetch_latest(kTask, give_up.token());
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().message, "HTTP 429: Slow down (gave up after 1 attempt: the API asked to wait 3600 s, "
                                     "longer than the 2 s (api.timeout_seconds) a run without a next pass waits)");
  EXPECT_EQ(m_api.requests(kTask), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);

  // A wait within the limit is still honoured.
  m_api.set_replies(kTask,
                    {{429, "", {}, {{"RateLimit", "limit=10, remaining=0, reset=1"}}}, {200, version_body(), {}}});
  EXPECT_TRUE(client().fetch_latest(kTask).ok());
}

TEST_F(ApiClientTest, AHugeRetryAfterIsAWaitTooLongNotNoWaitAtAll) {
  m_settings.timeout = 2s;
  m_settings.retries = 1;
  for (const std::string huge : {"9223372036854775807", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"}) {
    m_api.set_replies(kTask, {{503, "", {}, {{"Retry-After", huge}}}, {200, version_body(), {}}});
    const int before = m_api.requests(kTask);
    auto version = client().fetch_latest(kTask);
    ASSERT_FALSE(version.ok()) << huge << ": retried at once, as if no wait had been asked";
    EXPECT_NE(version.error().message.find("the API asked to wait 31622400 s"), std::string::npos)
        << version.error().message;
    EXPECT_EQ(m_api.requests(kTask) - before, 1) << huge;
  }
}

TEST_F(ApiClientTest, APauseOfEveryWorkerDoesNotHoldAHealthyRequestPastTheLimit) {
  m_settings.timeout = 2s;
  m_api.set_reply(kTask, {200, version_body(), {}});
  const auto gate = std::make_shared<RequestGate>();
  gate->pause_until(std::chrono::steady_clock::now() + 1h);
  auto created = ApiClient::create(m_settings, kKey, gate);
  ASSERT_TRUE(created.ok());
  const StopAfter give_up(5s); // without the limit the request would wait the whole hour
  const auto started = std::chrono::steady_clock::now();
  auto version = created->fetch_latest(kTask, give_up.token());
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(
      version.error().message.rfind("not sent: the API asked every request to wait 3600 s, longer than the 2 s", 0), 0u)
      << version.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(m_api.requests(kTask), 0);

  // In a pass, the pause is weighed against the time left before the next one.
  auto in_pass = created->fetch_latest(kTask, give_up.token(), std::chrono::steady_clock::now() + 60s);
  ASSERT_FALSE(in_pass.ok());
  EXPECT_NE(in_pass.error().message.find("left before the next pass"), std::string::npos) << in_pass.error().message;
}

class ApiClientTlsTest : public ::testing::Test {
protected:
  ApiClientTlsTest() { m_settings.retries = 0; }

  Result<TaskVersion, FetchError> fetch(const test::TestPki &served,
                                        const std::optional<std::filesystem::path> &ca_file) {
    test::FakeApi api(kKey, served.server);
    test::FakeVersion fake;
    fake.task_id = kTask;
    api.set_version(fake);
    m_settings.base_url = *parse_base_url(api.base_url());
    m_settings.ca_file = ca_file;
    auto client = ApiClient::create(m_settings, kKey);
    EXPECT_TRUE(client.ok());
    return client->fetch_latest(kTask);
  }

  test::TempDir m_dir;
  ApiSettings m_settings;
};

TEST_F(ApiClientTlsTest, TrustsTheConfiguredCaFile) {
  const auto pki = test::make_test_pki(m_dir / "pki");
  auto version = fetch(pki, pki.ca_file);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(version->task_id, kTask);
}

TEST_F(ApiClientTlsTest, AnUntrustedCertificateFailsAndSaysSo) {
  const auto pki = test::make_test_pki(m_dir / "pki");
  const auto other = test::make_test_pki(m_dir / "other");
  for (const auto &ca : {std::optional<std::filesystem::path>{}, std::optional<std::filesystem::path>(other.ca_file)}) {
    auto version = fetch(pki, ca);
    ASSERT_FALSE(version.ok());
    EXPECT_NE(version.error().message.find("TLS certificate verification failed"), std::string::npos)
        << version.error().message;
    EXPECT_FALSE(version.error().retryable);
  }
}

TEST_F(ApiClientTlsTest, ACertificateForAnotherHostFails) {
  const auto pki = test::make_test_pki(m_dir / "pki", {"api.example.net"});
  auto version = fetch(pki, pki.ca_file);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(
      version.error().message.find("TLS certificate verification failed: the certificate does not match the host name"),
      std::string::npos)
      << version.error().message;
}
