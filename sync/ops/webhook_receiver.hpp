#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/recent_set.hpp"
#include "ops/webhook_signature.hpp"

namespace tasksync {

// The path AnchorBrowser's webhooks are delivered to.
inline constexpr std::string_view kWebhookPath = "/webhooks/anchorbrowser";
// The largest delivery body accepted (1 MiB); a larger one is refused with 413.
inline constexpr std::size_t kMaxWebhookBody = 1024 * 1024;
// Deliveries whose bodies are read at once, at most: a ninth is refused with 503 (busy), so that
// clients holding connections open cannot make the status server buffer 64 MiB.
inline constexpr std::size_t kMostWebhookBodiesAtOnce = 8;

// What became of a delivery: the values of tasksync_webhook_requests_total's `outcome` label.
enum class WebhookOutcome { accepted, ignored, duplicate, unauthorized, too_large, bad_request, busy };
// Every outcome, for the metric that shows each from 0.
inline constexpr std::array kWebhookOutcomes{
    WebhookOutcome::accepted,  WebhookOutcome::ignored,     WebhookOutcome::duplicate, WebhookOutcome::unauthorized,
    WebhookOutcome::too_large, WebhookOutcome::bad_request, WebhookOutcome::busy};

// "accepted", "ignored", "duplicate", "unauthorized", "too_large", "bad_request" or "busy".
std::string_view to_string(WebhookOutcome outcome);

// What the service did when a delivery named a task.
enum class TaskPassRequest {
  not_mirrored, // the task is not one tasksyncd mirrors: nothing to do
  started,      // a pass for it starts now
  queued,       // a pass is running; one for the task follows it
};

/// POST /webhooks/anchorbrowser: how deliveries are checked, and what an accepted one asks for.
struct WebhookRoute {
  std::shared_ptr<WebhookSignatureCheck> check; // without it the route does not exist (404)
  // Asks for a pass of `task_id` (a lower-case UUID) alone; says whether it is mirrored.
  std::function<TaskPassRequest(const std::string &task_id)> request_task_pass;
};

/// The answer to one delivery, and the one line the log gets for it.
struct WebhookAnswer {
  int status = 200;
  std::string body; // JSON
  WebhookOutcome outcome = WebhookOutcome::ignored;
  std::string log_line; // never the body, the secret or the signature
  bool refused = false; // log as a warning
};

// Decides what a delivery that arrived whole (at most kMaxWebhookBody) gets: its signature
// checked first, then its JSON; an event whose id was seen before is acknowledged and not acted
// on (the last kMaxEventIds ids are remembered); an accepted task.* event naming a task asks for
// a pass of that task. Used from one thread at a time.
class WebhookReceiver {
public:
  // Event ids remembered for duplicate deliveries (their SHA-256, so long ids cost no more).
  static constexpr std::size_t kMaxEventIds = 4096;

  explicit WebhookReceiver(WebhookRoute route);

  // `signature`: the Anchor-Signature header, nullopt when absent; `now` in Unix seconds;
  // `from`: the peer, for the log.
  WebhookAnswer receive(std::optional<std::string_view> signature, std::string_view body, long long now,
                        const std::string &from);

private:
  // True the first time `id` is seen (of the last kMaxEventIds).
  bool first_delivery(const std::string &id);

  WebhookRoute m_route;
  RecentSet<Mac> m_event_ids{kMaxEventIds};
};

} // namespace tasksync
