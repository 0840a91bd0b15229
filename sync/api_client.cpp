#include "api_client.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <rapidjson/document.h>

#include <chrono>

namespace tasksync {
namespace {

constexpr const char *kUserAgent = "tasksyncd/" TASKSYNC_VERSION;

// The API's {"error": {"message": ...}}, else the start of the body, on one printable line.
std::string error_detail(const std::string &body) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(body.data(), body.size());
  std::string detail;
  if (!document.HasParseError() && document.IsObject()) {
    const auto error = document.FindMember("error");
    if (error != document.MemberEnd() && error->value.IsObject()) {
      const auto message = error->value.FindMember("message");
      if (message != error->value.MemberEnd() && message->value.IsString()) detail = message->value.GetString();
    }
  }
  if (detail.empty()) detail = body.empty() ? "(empty body)" : body;
  std::string line;
  for (char c : detail) {
    if (line.size() >= 300) {
      line += "...";
      break;
    }
    line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  return line;
}

std::string transport_message(httplib::Error error, long verify_result) {
  switch (error) {
  case httplib::Error::Connection: return "cannot connect";
  case httplib::Error::ConnectionTimeout: return "connection timed out";
  case httplib::Error::Read: return "connection failed while reading the response (closed or timed out)";
  case httplib::Error::Write: return "connection failed while sending the request";
  case httplib::Error::SSLConnection: return "TLS handshake failed";
  case httplib::Error::SSLLoadingCerts: return "cannot load the trusted CA certificates";
  case httplib::Error::SSLServerVerification:
    return std::string("TLS certificate verification failed: ") +
           (verify_result == X509_V_OK ? "the certificate does not match the host name"
                                       : X509_verify_cert_error_string(verify_result));
  case httplib::Error::Compression: return "cannot decompress the response";
  case httplib::Error::Canceled: return "request canceled";
  default: return "request failed (" + httplib::to_string(error) + ")";
  }
}

} // namespace

ApiClient::ApiClient(const ApiSettings &settings, std::unique_ptr<httplib::Client> client)
    : m_settings(settings), m_client(std::move(client)) {}
ApiClient::ApiClient(ApiClient &&) noexcept = default;
ApiClient &ApiClient::operator=(ApiClient &&) noexcept = default;
ApiClient::~ApiClient() = default;

Result<ApiClient> ApiClient::create(const ApiSettings &settings, std::string api_key) {
  auto client = std::make_unique<httplib::Client>(settings.base_url.origin());
  const auto timeout = static_cast<time_t>(settings.timeout.count());
  client->set_connection_timeout(timeout);
  client->set_read_timeout(timeout);
  client->set_write_timeout(timeout);
  client->set_keep_alive(true);
  client->set_default_headers({{"anchor-api-key", std::move(api_key)},
                               {"Accept", "application/json"},
                               {"User-Agent", kUserAgent}});
  if (settings.base_url.scheme == "https") {
    SSL_CTX *context = client->ssl_context();
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    client->enable_server_certificate_verification(true);
    // Added to the store that cpp-httplib later fills with the system CAs, so both are trusted.
    if (settings.ca_file && X509_STORE_load_file(SSL_CTX_get_cert_store(context), settings.ca_file->c_str()) != 1) {
      return Error{"api.ca_file: " + settings.ca_file->string() + " holds no PEM certificate that OpenSSL can load"};
    }
  }
  return ApiClient(settings, std::move(client));
}

void ApiClient::cancel() { m_client->stop(); }

Result<TaskVersion, FetchError> ApiClient::fetch_latest(const std::string &task_id, std::stop_token stop) {
  const std::string path = m_settings.base_url.path_prefix + "/v1/task/" + task_id + "/latest";
  const auto deadline = std::chrono::steady_clock::now() + m_settings.timeout;
  std::string body;
  bool too_large = false;
  bool too_slow = false;
  auto result = m_client->Get(
      path, [](const httplib::Response &) { return true; },
      [&](const char *data, std::size_t length) {
        if (body.size() + length > m_settings.max_response_bytes) {
          too_large = true;
          return false;
        }
        body.append(data, length);
        return true;
      },
      [&](std::uint64_t, std::uint64_t) {
        // cpp-httplib 0.11 only bounds each read; this bounds the whole request.
        too_slow = std::chrono::steady_clock::now() > deadline;
        return !too_slow && !stop.stop_requested();
      });
  if (stop.stop_requested()) return FetchError{FetchError::Kind::transport, 0, "canceled: shutting down"};
  if (too_large) {
    return FetchError{FetchError::Kind::invalid_response, 0,
                      "response larger than " + std::to_string(m_settings.max_response_bytes) + " bytes"};
  }
  if (too_slow) {
    return FetchError{FetchError::Kind::transport, 0,
                      "no complete response within " + std::to_string(m_settings.timeout.count()) + " s"};
  }
  if (!result) {
    return FetchError{FetchError::Kind::transport, 0,
                      transport_message(result.error(), m_client->get_openssl_verify_result()) + " (" +
                          m_settings.base_url.to_string() + ")"};
  }
  if (result->status != 200) {
    return FetchError{FetchError::Kind::http_status, result->status,
                      "HTTP " + std::to_string(result->status) + ": " + error_detail(body)};
  }
  auto version = parse_task_version(body, task_id);
  if (!version) return FetchError{FetchError::Kind::invalid_response, 0, "invalid response: " + version.error().message};
  return std::move(*version);
}

} // namespace tasksync
