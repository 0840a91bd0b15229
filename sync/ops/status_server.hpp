#pragma once

#include <memory>

#include "base/result.hpp"
#include "config/config.hpp"
#include "ops/health_route.hpp"
#include "ops/http/listener.hpp"
#include "ops/metrics.hpp"
#include "ops/sync_route.hpp"
#include "ops/webhook_receiver.hpp"

namespace tasksync {

/// How much of the process the status server may take, whatever its clients do.
using StatusServerLimits = http::ListenerLimits;

// Serves GET /healthz (200 or 503), GET /metrics (Prometheus text), with a token POST /sync
// (202, or 401 without the right bearer token) and with a webhook secret POST
// /webhooks/anchorbrowser (the one route with a body, of at most 1 MiB, 413 beyond it, read
// within `body_timeout` of its head) on http.listen, through a listener that bounds its
// connections and their time (http::Listener).
class StatusServer {
public:
  // Binds http.host:http.port and serves from a thread of its own until destroyed.
  // `metrics` counts the webhook's requests.
  static Result<std::unique_ptr<StatusServer>> start(const HttpSettings &settings, Metrics &metrics, HealthProbe probe,
                                                     StatusServerLimits limits = {}, SyncRoute sync = {},
                                                     WebhookRoute webhook = {});

private:
  explicit StatusServer(std::unique_ptr<http::Listener> listener) : m_listener(std::move(listener)) {}

  std::unique_ptr<http::Listener> m_listener;
};

} // namespace tasksync
