#pragma once

#include "ops/http/route.hpp"
#include "ops/metrics.hpp"

namespace tasksync {

// GET /metrics: `metrics` in the Prometheus text exposition format.
http::Route metrics_route(const Metrics &metrics);

} // namespace tasksync
