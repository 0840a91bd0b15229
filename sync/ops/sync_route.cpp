#include "ops/sync_route.hpp"

#include <chrono>
#include <string>

#include "base/log.hpp"

namespace tasksync {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The requests to POST /sync, and the refusals not logged yet.
class SyncRequests {
public:
  explicit SyncRequests(SyncRoute sync) : m_sync(std::move(sync)) {}

  // The token is checked before anything else; a refusal is logged at most every 10 s (with how
  // many more there were), so a client guessing tokens cannot flood the log.
  http::Response answer(const http::Request &request) {
    const std::string from = "POST /sync from " + request.remote_addr;
    if (!m_sync.token->accepts(request.header("Authorization").value_or(""))) {
      const auto now = Clock::now();
      if (now >= m_next_refusal_log) {
        log::warning(from + ": refused, missing or wrong bearer token" +
                     (m_refusals_unlogged ? " (" + std::to_string(m_refusals_unlogged) + " more refused before)" : ""));
        m_refusals_unlogged = 0;
        m_next_refusal_log = now + 10s;
      } else {
        ++m_refusals_unlogged;
      }
      return {
          401, "application/json", "{\"error\":\"missing or wrong bearer token\"}\n", {{"WWW-Authenticate", "Bearer"}}};
    }
    const bool queued = m_sync.request_pass();
    log::info(from + ": " + (queued ? "a pass follows the one running" : "starting a pass"));
    return {202, "application/json", queued ? "{\"pass\":\"queued\"}\n" : "{\"pass\":\"started\"}\n"};
  }

private:
  SyncRoute m_sync;
  Clock::time_point m_next_refusal_log{};
  std::size_t m_refusals_unlogged = 0;
};

} // namespace

std::vector<http::Route> sync_routes(SyncRoute sync) {
  if (!sync.token) return {};
  auto requests = std::make_shared<SyncRequests>(std::move(sync));
  return {{http::Method::post, "/sync", [requests](const http::Request &request) { return requests->answer(request); }},
          http::use_post("/sync")};
}

} // namespace tasksync
