#include "ops/metrics_route.hpp"

namespace tasksync {

http::Route metrics_route(const Metrics &metrics) {
  return {http::Method::get, "/metrics", [&metrics](const http::Request &) {
            return http::Response{200, "text/plain; version=0.0.4", metrics.serialize()};
          }};
}

} // namespace tasksync
