#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ops/bearer_token.hpp"
#include "ops/http/route.hpp"

namespace tasksync {

// POST /sync: the token it needs, and what it does. Without a token the route does not exist (404).
struct SyncRoute {
  std::shared_ptr<const BearerToken> token;
  // Asks for a pass now; true when one was running, so the new one follows it.
  std::function<bool()> request_pass;
};

// POST /sync: 202 once a pass is asked for, or 401 without the right bearer token (refusals logged
// at most every 10 s); GET /sync: 405. None without a token. Answered from one thread at a time.
std::vector<http::Route> sync_routes(SyncRoute sync);

} // namespace tasksync
