#include "ops/status_server.hpp"

#include <utility>
#include <vector>

#include "ops/metrics_route.hpp"
#include "ops/webhook_route.hpp"

namespace tasksync {

Result<std::unique_ptr<StatusServer>> StatusServer::start(const HttpSettings &settings, Metrics &metrics,
                                                          HealthProbe probe, StatusServerLimits limits, SyncRoute sync,
                                                          WebhookRoute webhook) {
  std::vector<http::Route> routes{health_route(std::move(probe)), metrics_route(metrics)};
  for (http::Route &route : sync_routes(std::move(sync)))
    routes.push_back(std::move(route));
  for (http::Route &route : webhook_routes(std::move(webhook), metrics))
    routes.push_back(std::move(route));
  auto listener = http::Listener::start(settings.host.value_or("127.0.0.1"), settings.port, std::move(routes), limits);
  if (!listener) return Error{"http.listen: " + listener.error().message};
  return std::unique_ptr<StatusServer>(new StatusServer(std::move(*listener)));
}

} // namespace tasksync
