#pragma once

#include <functional>
#include <string>

#include "ops/http/route.hpp"

namespace tasksync {

// The answer to GET /healthz: healthy or not, and a small JSON body that says why.
struct HealthReport {
  bool healthy = false;
  std::string json;
};

// How GET /healthz learns how the service is.
using HealthProbe = std::function<HealthReport()>;

// GET /healthz: 200 when `probe` says healthy, else 503, with its JSON.
http::Route health_route(HealthProbe probe);

} // namespace tasksync
