#include "api/client.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <rapidjson/document.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "api/request_watchdog.hpp"
#include "base/log.hpp"
#include "base/text.hpp"
#include "base/url_userinfo.hpp"

namespace tasksync {
namespace {

constexpr const char *kUserAgent = "tasksyncd/" TASKSYNC_VERSION;

// The API's {"error": {"message": ...}}, else the start of the body, on one printable line
// without URL userinfo.
std::string error_detail(const std::string &body) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(body.data(), body.size());
  std::string detail;
  if (!document.HasParseError() && document.IsObject()) {
    const rapidjson::Value &root = document;
    const auto error = root.FindMember("error");
    if (error != root.MemberEnd() && error->value.IsObject()) {
      const rapidjson::Value &object = error->value;
      const auto message = object.FindMember("message");
      if (message != object.MemberEnd() && message->value.IsString()) detail = message->value.GetString();
    }
  }
  if (detail.empty()) detail = body.empty() ? "(empty body)" : body;
  detail = redact_url_userinfo(detail);
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

// A wait as whole seconds, rounded up ("31622400 s", "2 s" for 1500 ms).
std::string seconds_text(std::chrono::milliseconds wait) {
  return std::to_string(std::chrono::ceil<std::chrono::seconds>(wait).count()) + " s";
}

FetchError transport_error(std::string message, bool retryable = false) {
  return {FetchError::Kind::transport, 0, std::move(message), retryable, std::nullopt};
}

FetchError invalid_response(std::string message) {
  return {FetchError::Kind::invalid_response, 0, std::move(message), false, std::nullopt};
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
    return std::string("TLS certificate verification failed: ") + (verify_result == X509_V_OK
                                                                       ? "the certificate does not match the host name"
                                                                       : X509_verify_cert_error_string(verify_result));
  case httplib::Error::Compression: return "cannot decompress the response";
  case httplib::Error::Canceled: return "request canceled";
  default: return "request failed (" + httplib::to_string(error) + ")";
  }
}

} // namespace

ApiClient::ApiClient(const ApiSettings &settings, std::unique_ptr<httplib::Client> client,
                     std::shared_ptr<RequestGate> gate, std::shared_ptr<DeprecationNotices> notices)
    : m_settings(settings), m_client(std::move(client)),
      // cpp-httplib 0.11 bounds each read, not a request: a server sending a byte per read
      // (headers, chunk-size lines, body) would hold it for ever. stop() shuts the socket of the
      // request in flight (ClientImpl::stop), which ends it with an error.
      m_watchdog(std::make_unique<RequestWatchdog>([raw = m_client.get()] { raw->stop(); })), m_gate(std::move(gate)),
      m_notices(std::move(notices)) {}
ApiClient::ApiClient(ApiClient &&) noexcept = default;
ApiClient &ApiClient::operator=(ApiClient &&) noexcept = default;
ApiClient::~ApiClient() = default;

Result<ApiClient> ApiClient::create(const ApiSettings &settings, std::string api_key, std::shared_ptr<RequestGate> gate,
                                    std::shared_ptr<DeprecationNotices> notices,
                                    std::shared_ptr<const TrustStore> trust) {
  auto client = std::make_unique<httplib::Client>(settings.base_url.origin());
  const auto timeout = static_cast<time_t>(settings.timeout.count());
  client->set_connection_timeout(timeout);
  client->set_read_timeout(timeout);
  client->set_write_timeout(timeout);
  client->set_keep_alive(true);
  client->set_default_headers(
      {{"anchor-api-key", std::move(api_key)}, {"Accept", "application/json"}, {"User-Agent", kUserAgent}});
  if (settings.base_url.scheme == "https") {
    SSL_CTX *context = client->ssl_context();
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    client->enable_server_certificate_verification(true);
    if (!trust) {
      TRY_ASSIGN(trust, TrustStore::load(settings));
    }
    SSL_CTX_set1_cert_store(context, trust->store());
    // cpp-httplib 0.11.4 (SSLClient::load_certs) adds the system's CAs to the store on the first
    // handshake, parsing the whole bundle, unless told a path: the directories the shared store
    // already searches add nothing and cost nothing.
    client->set_ca_cert_path("", trust->directories());
  }
  return ApiClient(settings, std::move(client), std::move(gate), std::move(notices));
}

void ApiClient::cancel() { m_client->stop(); }

Result<TaskVersion, FetchError>
ApiClient::fetch_latest(const std::string &task_id, std::stop_token stop,
                        std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  return fetch_version(task_id, "latest", stop, give_up_at);
}

Result<TaskVersion, FetchError>
ApiClient::fetch_version(const std::string &task_id, const std::string &version, std::stop_token stop,
                         std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  TRY_ASSIGN(auto body, get("/v1/task/" + task_id + "/" + version, stop, give_up_at));
  auto parsed = parse_task_version(std::move(body), task_id);
  if (!parsed) return invalid_response("invalid response: " + parsed.error().message);
  if (is_decimal(version) && parsed->version != version) {
    return invalid_response("invalid response: asked for version " + version + ", the answer is version " +
                            parsed->version);
  }
  return std::move(*parsed);
}

Result<std::optional<TaskVersion>, FetchError>
ApiClient::fetch_draft(const std::string &task_id, std::stop_token stop,
                       std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  auto draft = fetch_version(task_id, "draft", stop, give_up_at);
  if (!draft && draft.error().http_status == 404) return std::optional<TaskVersion>();
  if (!draft) return draft.error();
  return std::optional<TaskVersion>(std::move(*draft));
}

Result<std::vector<VersionInfo>, FetchError>
ApiClient::fetch_versions(const std::string &task_id, std::stop_token stop,
                          std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  TRY_ASSIGN(auto body, get("/v1/task/" + task_id + "/versions", stop, give_up_at));
  auto parsed = parse_version_list(std::move(body), task_id);
  if (!parsed) return invalid_response("invalid response: " + parsed.error().message);
  return std::move(*parsed);
}

Result<TaskInfo, FetchError> ApiClient::fetch_task(const std::string &task_id, std::stop_token stop) {
  TRY_ASSIGN(auto body, get("/v1/task/" + task_id, stop, std::nullopt));
  auto parsed = parse_task_info(std::move(body), task_id);
  if (!parsed) return invalid_response("invalid response: " + parsed.error().message);
  return std::move(*parsed);
}

Result<long long, FetchError> ApiClient::list_tasks(int page, int limit, const ListedTaskSink &take,
                                                    std::stop_token stop,
                                                    std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  TRY_ASSIGN(auto body,
             get("/v1/task?page=" + std::to_string(page) + "&limit=" + std::to_string(limit), stop, give_up_at));
  auto parsed = parse_task_page(std::move(body), take);
  if (!parsed) return invalid_response("invalid response: " + parsed.error().message);
  return std::move(*parsed);
}

Result<std::string, FetchError> ApiClient::get(const std::string &path, std::stop_token stop,
                                               std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  // The longest the server may make us wait: until the next pass, or in a run that has no next
  // pass (--once, --dry-run, --backfill) api.timeout_seconds, so that it still ends.
  const auto limit_text = [&](std::chrono::steady_clock::time_point now) {
    if (!give_up_at)
      return "the " + std::to_string(m_settings.timeout.count()) +
             " s (api.timeout_seconds) a run without a next pass waits";
    return "the " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*give_up_at - now).count()) +
           " s left before the next pass";
  };
  for (int attempt = 0;; ++attempt) {
    const auto now = std::chrono::steady_clock::now();
    if (!m_gate->wait(stop, give_up_at.value_or(now + m_settings.timeout))) {
      if (stop.stop_requested()) return transport_error("canceled: shutting down");
      const auto pause = std::chrono::ceil<std::chrono::seconds>(m_gate->paused_until() - now);
      return transport_error("not sent: the API asked every request to wait " + std::to_string(pause.count()) +
                             " s, longer than " + limit_text(now));
    }
    auto result = get_once(path, stop);
    if (result || !result.error().retryable || stop.stop_requested()) return result;
    FetchError error = result.error();
    const std::string tries = std::to_string(attempt + 1) + (attempt == 0 ? " attempt" : " attempts");
    if (attempt == m_settings.retries) {
      if (attempt > 0) error.message += " (gave up after " + tries + ")";
      return error;
    }
    const auto failed_at = std::chrono::steady_clock::now();
    if (error.wait_hint &&
        (give_up_at ? failed_at + *error.wait_hint > *give_up_at : *error.wait_hint > m_settings.timeout)) {
      error.message += " (gave up after " + tries + ": the API asked to wait " + seconds_text(*error.wait_hint) +
                       ", longer than " + limit_text(failed_at) + ")";
      return error;
    }
    auto wait = std::max<std::chrono::milliseconds>(backoff_delay(attempt, m_random),
                                                    error.wait_hint.value_or(std::chrono::seconds(0)));
    const auto resume = failed_at + wait;
    if (give_up_at && resume > *give_up_at) {
      error.message +=
          " (gave up after " + tries + ": no time left in this pass to wait " + std::to_string(wait.count()) + " ms)";
      return error;
    }
    log::debug("GET " + path + ": " + error.message + "; retry " + std::to_string(attempt + 1) + " of " +
               std::to_string(m_settings.retries) + " in " + std::to_string(wait.count()) + " ms" +
               (error.wait_hint ? " (as the API asked)" : ""));
    // The server asked everyone to slow down, so every worker waits, not just this one.
    if (error.wait_hint) m_gate->pause_until(resume);
    std::mutex mutex;
    std::condition_variable_any sleeper;
    std::unique_lock lock(mutex);
    sleeper.wait_until(lock, stop, resume, [] { return false; });
  }
}

Result<std::string, FetchError> ApiClient::get_once(const std::string &path, std::stop_token stop) {
  const auto deadline = std::chrono::steady_clock::now() + m_settings.timeout;
  std::string body;
  bool too_large = false;
  bool cut_off = false;
  httplib::Result result = [&] {
    const RequestWatchdog::Armed watch = m_watchdog->arm(deadline);
    auto answer = m_client->Get(
        m_settings.base_url.path_prefix + path,
        [&](const httplib::Response &response) {
          // Room for the whole body at once: growing by doubling held up to twice a page of the
          // list per worker.
          const auto length = response.get_header_value<std::uint64_t>("Content-Length");
          if (length > 0 && length <= m_settings.max_response_bytes) body.reserve(length);
          return true;
        },
        [&](const char *data, std::size_t length) {
          if (body.size() + length > m_settings.max_response_bytes) {
            too_large = true;
            return false;
          }
          body.append(data, length);
          return true;
        },
        [&](std::uint64_t, std::uint64_t) { return !stop.stop_requested(); });
    // Once the watchdog shut the socket, even an answer that looks whole may be cut short (the
    // body ends where the socket did): only its error counts. A read that timed out at the
    // deadline, just before the watchdog fired, was cut off too.
    cut_off = watch.expired() || (!answer && std::chrono::steady_clock::now() >= deadline);
    return answer;
  }();
  if (stop.stop_requested()) return transport_error("canceled: shutting down");
  if (too_large) {
    return invalid_response("response larger than " + std::to_string(m_settings.max_response_bytes) + " bytes");
  }
  // Connecting and the TLS handshake have their own errors, more telling than the deadline.
  const bool setting_up =
      !result &&
      (result.error() == httplib::Error::Connection || result.error() == httplib::Error::ConnectionTimeout ||
       result.error() == httplib::Error::SSLConnection || result.error() == httplib::Error::SSLLoadingCerts ||
       result.error() == httplib::Error::SSLServerVerification);
  if (cut_off && !setting_up) {
    return transport_error("no complete response within " + std::to_string(m_settings.timeout.count()) + " s", true);
  }
  if (!result) {
    // A certificate the system does not trust will not be trusted on the next attempt either.
    const bool transient =
        result.error() != httplib::Error::SSLServerVerification && result.error() != httplib::Error::SSLLoadingCerts;
    return transport_error(transport_message(result.error(), m_client->get_openssl_verify_result()) + " (" +
                               m_settings.base_url.to_string() + ")",
                           transient);
  }
  const auto header = [&](const char *name) {
    return result->has_header(name) ? std::optional<std::string>(result->get_header_value(name)) : std::nullopt;
  };
  m_notices->record(path, header("Deprecation"), header("Sunset"));
  if (result->status != 200) {
    FetchError error{FetchError::Kind::http_status, result->status,
                     "HTTP " + std::to_string(result->status) + ": " + error_detail(body),
                     should_retry(result->status, header("x-should-retry")), std::nullopt};
    const auto now = std::chrono::system_clock::now();
    if (const auto ms = header("retry-after-ms")) error.wait_hint = parse_retry_after_ms(*ms);
    if (!error.wait_hint && result->has_header("Retry-After")) {
      error.wait_hint = parse_retry_after(result->get_header_value("Retry-After"), now);
    }
    if (!error.wait_hint && result->has_header("RateLimit")) {
      error.wait_hint = parse_rate_limit(result->get_header_value("RateLimit"));
    }
    if (!error.wait_hint && result->has_header("RateLimit-Reset") &&
        result->get_header_value("RateLimit-Remaining") == "0") {
      error.wait_hint = parse_retry_after(result->get_header_value("RateLimit-Reset"), now);
    }
    return error;
  }
  return body;
}

} // namespace tasksync
