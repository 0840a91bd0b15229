#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <stop_token>
#include <string>

#include "api/deprecation.hpp"
#include "api/listing.hpp"
#include "api/retry.hpp"
#include "api/task_version.hpp"
#include "api/trust_store.hpp"
#include "base/result.hpp"
#include "config/config.hpp"

namespace httplib {
class Client;
}

namespace tasksync {

class RequestWatchdog;

// Why fetching a task failed, in words fit for a log line (never containing the API key).
struct FetchError {
  enum class Kind { transport, http_status, invalid_response };
  Kind kind = Kind::transport;
  int http_status = 0;                                // set for http_status
  std::string message;                                // e.g. "HTTP 404: Task or version not found"
  bool retryable = false;                             // transient: asking again may succeed
  std::optional<std::chrono::milliseconds> wait_hint; // what retry-after-ms, Retry-After or RateLimit asked for

  // True when the API refused the key itself (401, 403): every other task would fail too.
  bool is_auth_failure() const { return http_status == 401 || http_status == 403; }
};

// The AnchorBrowser Tasks API over HTTP(S), with the key, timeouts, size cap and retries from
// the config. One client per thread: requests on one client are serialised.
class ApiClient {
public:
  // Prepares a client; nothing is sent yet. Clients sharing `gate` pause together when the
  // API asks for it; Deprecation and Sunset headers of every answer go to `notices`. An HTTPS
  // client trusts `trust`, else a store of its own. Fails when api.ca_file cannot be loaded.
  static Result<ApiClient> create(const ApiSettings &settings, std::string api_key,
                                  std::shared_ptr<RequestGate> gate = std::make_shared<RequestGate>(),
                                  std::shared_ptr<DeprecationNotices> notices = std::make_shared<DeprecationNotices>(),
                                  std::shared_ptr<const TrustStore> trust = {});
  ApiClient(ApiClient &&) noexcept;
  ApiClient &operator=(ApiClient &&) noexcept;
  ~ApiClient();

  // GET /v1/task/{task_id}/latest, validated and decoded. Each request is bounded as a whole by
  // api.timeout_seconds, headers and chunked bodies included. Transient failures are retried
  // api.retries times with exponential backoff and full jitter, as the vendor's SDKs do:
  // x-should-retry decides over the status, and retry-after-ms, else Retry-After, else RateLimit
  // says how long to wait (for every client sharing the gate); each retry is logged at debug
  // level. Never past `give_up_at` (the next pass's
  // start) nor once `stop` is requested. Without `give_up_at` (a run with no next pass), a wait
  // the API asks for that is longer than api.timeout_seconds fails the request at once.
  Result<TaskVersion, FetchError> fetch_latest(const std::string &task_id, std::stop_token stop = {},
                                               std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

  // GET /v1/task/{task_id}/{version}: one version ("7", "draft", "latest"), validated and decoded.
  // An answer for another number than the one asked for is an invalid response.
  Result<TaskVersion, FetchError> fetch_version(const std::string &task_id, const std::string &version,
                                                std::stop_token stop = {},
                                                std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

  // GET /v1/task/{task_id}/draft: the task's pending draft, or none (404: no draft, or no such
  // task; the API does not tell them apart).
  Result<std::optional<TaskVersion>, FetchError>
  fetch_draft(const std::string &task_id, std::stop_token stop = {},
              std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

  // GET /v1/task/{task_id}/versions: every version's number and dates, without code.
  Result<std::vector<VersionInfo>, FetchError>
  fetch_versions(const std::string &task_id, std::stop_token stop = {},
                 std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

  // GET /v1/task/{task_id}: the task's metadata (its name, for commit subjects).
  Result<TaskInfo, FetchError> fetch_task(const std::string &task_id, std::stop_token stop = {});

  // GET /v1/task?page=P&limit=L: one page of the team's tasks, each handed to `take` as it is
  // parsed (parse_task_page); returns the list's total.
  Result<long long, FetchError> list_tasks(int page, int limit, const ListedTaskSink &take, std::stop_token stop = {},
                                           std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

  // Aborts a request in flight on this client (from any thread): its socket is shut down.
  void cancel();

private:
  ApiClient(const ApiSettings &settings, std::unique_ptr<httplib::Client> client, std::shared_ptr<RequestGate> gate,
            std::shared_ptr<DeprecationNotices> notices);
  // GET `path` (below the base URL) with retries; the 200 body.
  Result<std::string, FetchError> get(const std::string &path, std::stop_token stop,
                                      std::optional<std::chrono::steady_clock::time_point> give_up_at);
  // One GET of `path` (below the base URL), no retries.
  Result<std::string, FetchError> get_once(const std::string &path, std::stop_token stop);

  ApiSettings m_settings;
  std::unique_ptr<httplib::Client> m_client;
  std::unique_ptr<RequestWatchdog> m_watchdog; // after m_client: it stops m_client's requests
  std::shared_ptr<RequestGate> m_gate;
  std::shared_ptr<DeprecationNotices> m_notices;
  std::mt19937_64 m_random{std::random_device{}()};
};

} // namespace tasksync
