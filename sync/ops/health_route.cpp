#include "ops/health_route.hpp"

namespace tasksync {

http::Route health_route(HealthProbe probe) {
  return {http::Method::get, "/healthz", [probe = std::move(probe)](const http::Request &) {
            HealthReport report = probe();
            return http::Response{report.healthy ? 200 : 503, "application/json", std::move(report.json)};
          }};
}

} // namespace tasksync
