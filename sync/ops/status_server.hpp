#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/result.hpp"
#include "config/config.hpp"
#include "ops/bearer_token.hpp"
#include "ops/metrics.hpp"
#include "ops/webhook_receiver.hpp"

namespace tasksync {

// The answer to GET /healthz: healthy or not, and a small JSON body that says why.
struct HealthReport {
  bool healthy = false;
  std::string json;
};

// POST /sync: the token it needs, and what it does. Without a token the route does not exist (404).
struct SyncRoute {
  std::shared_ptr<const BearerToken> token;
  // Asks for a pass now; true when one was running, so the new one follows it.
  std::function<bool()> request_pass;
};

/// How much of the process the status server may take, whatever its clients do.
struct StatusServerLimits {
  std::size_t max_connections = 64;                 // open client connections (descriptors) at most
  std::chrono::milliseconds request_timeout{2000};  // from accepting to the end of the request head
  std::chrono::milliseconds response_timeout{5000}; // to send the whole answer
  std::size_t max_request_bytes = 8192;             // request line and headers
  std::chrono::milliseconds body_timeout{5000}; // POST /webhooks/anchorbrowser: from its head to the end of its body
};

// Serves GET /healthz (200 or 503), GET /metrics (Prometheus text), with a token POST /sync
// (202, or 401 without the right bearer token) and with a webhook secret POST
// /webhooks/anchorbrowser (WebhookReceiver; the one route with a body, of at most 1 MiB, 413
// beyond it, read within `body_timeout` of its head) on http.listen, one
// request per connection, without ever holding more than `max_connections` client sockets: a
// connection over the limit closes the oldest one, and a request that is not complete within
// `request_timeout` of connecting is cut off, so slow or idle clients cannot take descriptors or
// time from the passes.
class StatusServer {
public:
  using HealthProbe = std::function<HealthReport()>;

  // Binds http.host:http.port and serves from a thread of its own until destroyed.
  // `metrics` counts the webhook's requests.
  static Result<std::unique_ptr<StatusServer>> start(const HttpSettings &settings, Metrics &metrics, HealthProbe probe,
                                                     StatusServerLimits limits = {}, SyncRoute sync = {},
                                                     WebhookRoute webhook = {});
  ~StatusServer();
  StatusServer(const StatusServer &) = delete;
  StatusServer &operator=(const StatusServer &) = delete;

private:
  class Loop;
  StatusServer() = default;

  std::unique_ptr<Loop> m_loop;
  std::thread m_thread;
};

} // namespace tasksync
