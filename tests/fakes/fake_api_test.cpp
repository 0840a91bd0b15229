#include "fake_api.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kKey = "test-api-key";
const std::string kPath = "/v1/task/" + kTask + "/latest";
const httplib::Headers kAuth = {{"anchor-api-key", kKey}};

httplib::Result get_latest(httplib::Client &client) { return client.Get(kPath, kAuth); }

void trust_only(httplib::Client &client, const std::filesystem::path &ca_file) {
  client.set_ca_cert_path(ca_file.string());
  client.enable_server_certificate_verification(true);
}

std::string port_of(const std::string &base_url) { return base_url.substr(base_url.rfind(':') + 1); }

} // namespace

TEST(FakeApiTest, RepliesAreServedInOrderThenTheLastRepeats) {
  test::FakeApi api(kKey);
  api.set_replies(kTask, {{503, "busy", {}}, {429, "slow down", {}}, {200, "{}", {}}});
  httplib::Client client(api.base_url());
  // A request with a wrong key is refused before it can use up a reply.
  auto refused = client.Get(kPath, {{"anchor-api-key", "wrong"}});
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 401);
  std::vector<int> statuses;
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    auto result = get_latest(client);
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    statuses.push_back(result->status);
    bodies.push_back(result->body);
  }
  EXPECT_EQ(statuses, (std::vector<int>{503, 429, 200, 200, 200}));
  EXPECT_EQ(bodies, (std::vector<std::string>{"busy", "slow down", "{}", "{}", "{}"}));
  EXPECT_EQ(api.requests(kTask), 6);
  EXPECT_EQ(api.rejected_keys(), 1);
}

TEST(FakeApiTest, SetReplyAndAnEmptyListReplaceTheSequence) {
  test::FakeApi api(kKey);
  httplib::Client client(api.base_url());
  api.set_replies(kTask, {{503, "", {}}, {200, "{}", {}}});
  api.set_reply(kTask, {500, "broken", {}});
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(get_latest(client)->status, 500);
  api.set_replies(kTask, {});
  EXPECT_EQ(get_latest(client)->status, 404);
}

TEST(FakeApiTest, ExtraHeadersArrive) {
  test::FakeApi api(kKey);
  api.set_reply(kTask, {.status = 429,
                        .body = R"({"error":{"code":429,"message":"Too many requests"}})",
                        .headers = {{"Retry-After", "2"}, {"RateLimit", "limit=10, remaining=0, reset=3"}}});
  httplib::Client client(api.base_url());
  auto result = get_latest(client);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 429);
  EXPECT_EQ(result->get_header_value("Retry-After"), "2");
  EXPECT_EQ(result->get_header_value("RateLimit"), "limit=10, remaining=0, reset=3");
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
}

TEST(FakeApiTest, TrickleSendsTheBodyOneByteAtATime) {
  test::FakeApi api(kKey);
  const std::string body = "0123456789abcdefghij";
  api.set_reply(kTask, {.body = body, .trickle = 50ms});
  httplib::Client client(api.base_url());
  client.set_read_timeout(300ms); // far less than the whole body takes, yet never reached between bytes
  std::string received;
  int pieces = 0;
  const auto start = std::chrono::steady_clock::now();
  auto result = client.Get(kPath, kAuth, [&](const char *data, std::size_t length) {
    received.append(data, length);
    ++pieces;
    return true;
  });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(received, body);
  EXPECT_GE(elapsed, 900ms);
  EXPECT_GE(pieces, 10) << "the body arrived in too few pieces to have been trickled";
}

TEST(FakeApiTest, DestructionCutsATrickleShort) {
  auto api = std::make_unique<test::FakeApi>(kKey);
  api->set_reply(kTask, {.body = "{}", .trickle = 60s});
  httplib::Client client(api->base_url());
  std::promise<void> headers_received;
  auto fetch = std::async(std::launch::async, [&] {
    return client.Get(
        kPath, kAuth,
        [&](const httplib::Response &) {
          headers_received.set_value();
          return true;
        },
        [](const char *, std::size_t) { return true; });
  });
  EXPECT_EQ(headers_received.get_future().wait_for(5s), std::future_status::ready);
  const auto start = std::chrono::steady_clock::now();
  api.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_FALSE(fetch.get()) << "the client should see the body cut short";
}

TEST(FakeApiTest, DestructionCutsADelayShort) {
  auto api = std::make_unique<test::FakeApi>(kKey);
  api->set_reply(kTask, {200, "{}", 60s});
  httplib::Client client(api->base_url());
  auto fetch = std::async(std::launch::async, [&] { return get_latest(client); });
  for (int i = 0; i < 500 && api->requests(kTask) == 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(api->requests(kTask), 1);
  const auto start = std::chrono::steady_clock::now();
  api.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  fetch.wait();
}

TEST(FakeApiTest, HttpsVerifiesAgainstTheTestCaByNameAndAddress) {
  test::TempDir dir;
  const test::TestPki pki = test::make_test_pki(dir.path());
  test::FakeApi api(kKey, pki.server);
  ASSERT_EQ(api.base_url().rfind("https://localhost:", 0), 0u) << api.base_url();
  test::FakeVersion version;
  version.task_id = kTask;
  api.set_version(version);
  for (const std::string &url : {api.base_url(), "https://127.0.0.1:" + port_of(api.base_url())}) {
    httplib::Client client(url);
    trust_only(client, pki.ca_file);
    auto result = get_latest(client);
    ASSERT_TRUE(result) << url << ": " << httplib::to_string(result.error()) << ", verify result "
                        << client.get_openssl_verify_result();
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, version.to_json());
  }
  EXPECT_EQ(api.requests(kTask), 2);
}

TEST(FakeApiTest, HttpsFailsAgainstAnUnrelatedCa) {
  test::TempDir dir;
  const test::TestPki served = test::make_test_pki(dir / "served");
  const test::TestPki unrelated = test::make_test_pki(dir / "unrelated");
  test::FakeApi api(kKey, served.server);
  httplib::Client client(api.base_url());
  trust_only(client, unrelated.ca_file);
  auto result = get_latest(client);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), httplib::Error::SSLServerVerification);
  EXPECT_NE(client.get_openssl_verify_result(), X509_V_OK);
  EXPECT_EQ(api.requests(kTask), 0);
}

TEST(FakeApiTest, HttpsFailsForACertificateIssuedToAnotherHost) {
  test::TempDir dir;
  const test::TestPki pki = test::make_test_pki(dir.path(), {"other.example"});
  test::FakeApi api(kKey, pki.server);
  httplib::Client client(api.base_url());
  trust_only(client, pki.ca_file);
  auto result = get_latest(client);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), httplib::Error::SSLServerVerification);
  EXPECT_EQ(client.get_openssl_verify_result(), X509_V_OK) << "the chain is trusted; only the name is wrong";
  EXPECT_EQ(api.requests(kTask), 0);
}
