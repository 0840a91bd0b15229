#pragma once

#include <vector>

#include "ops/http/route.hpp"
#include "ops/metrics.hpp"
#include "ops/webhook_receiver.hpp"

namespace tasksync {

// POST /webhooks/anchorbrowser (WebhookReceiver), whose body of at most kMaxWebhookBody is read
// before it is answered (413 beyond it, 503 while kMostWebhookBodiesAtOnce others are read), and
// GET: 405. Every delivery is counted in `metrics` (whose webhook series it shows) and logged in
// one line, whatever became of it. None without a signature check. Answered from one thread at a time.
std::vector<http::Route> webhook_routes(WebhookRoute webhook, Metrics &metrics);

} // namespace tasksync
