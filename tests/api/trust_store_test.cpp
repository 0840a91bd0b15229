#include "api/trust_store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "api/client.hpp"
#include "fake_api.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "test_pki.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "trust-store-key";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

class TrustStoreTest : public ::testing::Test {
protected:
  TrustStoreTest() { m_settings.retries = 0; }

  // An HTTPS fake API with `pki`'s certificate serving kTask, which m_settings then points at.
  std::unique_ptr<test::FakeApi> serve(const test::TestPki &pki) {
    auto api = std::make_unique<test::FakeApi>(kKey, pki.server);
    test::FakeVersion fake;
    fake.task_id = kTask;
    api->set_version(fake);
    m_settings.base_url = *parse_base_url(api->base_url());
    return api;
  }

  test::TempDir m_dir;
  ApiSettings m_settings;
};

} // namespace

TEST_F(TrustStoreTest, ClientsSharingOneStoreEachVerifyTheServer) {
  const auto pki = test::make_test_pki(m_dir / "pki");
  const auto other = test::make_test_pki(m_dir / "other");
  const auto api = serve(pki);
  for (const auto &[ca, trusted] : {std::pair{pki.ca_file, true}, std::pair{other.ca_file, false}}) {
    m_settings.ca_file = ca;
    auto trust = TrustStore::load(m_settings);
    ASSERT_TRUE(trust.ok()) << trust.error().message;
    std::vector<ApiClient> clients;
    for (int i = 0; i < 3; ++i) {
      clients.push_back(std::move(ApiClient::create(m_settings, kKey, std::make_shared<RequestGate>(),
                                                    std::make_shared<DeprecationNotices>(), *trust))
                            .value());
    }
    std::vector<Result<TaskVersion, FetchError>> answers(clients.size(), FetchError{});
    {
      std::vector<std::jthread> threads;
      for (std::size_t i = 0; i < clients.size(); ++i) {
        threads.emplace_back([&, i] { answers[i] = clients[i].fetch_latest(kTask); });
      }
    }
    for (const auto &answer : answers) {
      EXPECT_EQ(answer.ok(), trusted) << ca << ": " << (answer.ok() ? "verified" : answer.error().message);
    }
  }
}

TEST_F(TrustStoreTest, TheStoreHoldsTheSystemsCertificates) {
  // OpenSSL's default paths honour SSL_CERT_FILE: a CA put there is trusted with no api.ca_file.
  const auto pki = test::make_test_pki(m_dir / "pki");
  const auto api = serve(pki);
  setenv("SSL_CERT_FILE", pki.ca_file.c_str(), 1);
  auto trust = TrustStore::load(m_settings);
  unsetenv("SSL_CERT_FILE");
  ASSERT_TRUE(trust.ok()) << trust.error().message;
  auto client = ApiClient::create(m_settings, kKey, std::make_shared<RequestGate>(),
                                  std::make_shared<DeprecationNotices>(), *trust);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto version = client->fetch_latest(kTask);
  ASSERT_TRUE(version.ok()) << version.error().message;
}

TEST_F(TrustStoreTest, ACaFileWithoutCertificatesIsNamed) {
  test::write_text(m_dir / "ca.pem", "not a certificate\n");
  m_settings.ca_file = m_dir / "ca.pem";
  auto trust = TrustStore::load(m_settings);
  ASSERT_FALSE(trust.ok());
  EXPECT_EQ(trust.error().message,
            "api.ca_file: " + (m_dir / "ca.pem").string() + " holds no PEM certificate that OpenSSL can load");
}
