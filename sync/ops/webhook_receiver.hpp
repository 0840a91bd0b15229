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

// The longest healed_task_version_id kept (a version ID is a 36-byte UUID); a longer one is not
// a draft's, and is dropped.
inline constexpr std::size_t kLongestHealedVersionId = 128;

/// What a verified task event asks of the service.
struct TaskEventRequest {
  std::optional<std::string> task_id;           // a lower-case UUID; none when the event names no task that is one
  bool healed = false;                          // a task.healed event: its task's draft is read too
  std::optional<std::string> healed_version_id; // its data.healed_task_version_id, when short enough
};

// What the service did with a task event.
enum class TaskPassRequest {
  not_mirrored, // the task is not one tasksyncd mirrors (and the event is no task.healed to look for): nothing to do
  started,      // a pass for it starts now
  queued,       // a pass is running; one for the task follows it
  every_draft,  // a task.healed whose task matched none mirrored: the next pass reads every task's draft
};

/// POST /webhooks/anchorbrowser: how deliveries are checked, and what an accepted one asks for.
struct WebhookRoute {
  std::shared_ptr<WebhookSignatureCheck> check; // without it the route does not exist (404)
  // Asks for what a task event calls for: a pass of its task alone when it is mirrored (with its
  // draft for task.healed), or for task.healed, every draft read by the next pass.
  std::function<TaskPassRequest(const TaskEventRequest &request)> request_task_pass;
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
// a pass of that task, and a task.healed event is handed over whatever task it names (its draft
// must be found). Used from one thread at a time.
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
