#include "ops/webhook_receiver.hpp"

#include <openssl/sha.h>

#include "base/text.hpp"
#include "ops/webhook_event.hpp"

namespace tasksync {
namespace {

constexpr std::size_t kLongestLoggedText = 80;

// Text from a delivery shown in the log: quoted and cut short (log::write escapes control bytes).
std::string shown(std::string_view text) {
  if (text.size() <= kLongestLoggedText) return "\"" + std::string(text) + "\"";
  std::size_t cut = kLongestLoggedText;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return "\"" + std::string(text.substr(0, cut)) + "...\"";
}

WebhookAnswer answer(int status, WebhookOutcome outcome, std::string body, std::string log_line, bool refused = false) {
  return {status, std::move(body), outcome, std::move(log_line), refused};
}

} // namespace

std::string_view to_string(WebhookOutcome outcome) {
  switch (outcome) {
  case WebhookOutcome::accepted: return "accepted";
  case WebhookOutcome::ignored: return "ignored";
  case WebhookOutcome::duplicate: return "duplicate";
  case WebhookOutcome::unauthorized: return "unauthorized";
  case WebhookOutcome::too_large: return "too_large";
  case WebhookOutcome::bad_request: return "bad_request";
  case WebhookOutcome::busy: return "busy";
  }
  return "bad_request";
}

WebhookReceiver::WebhookReceiver(WebhookRoute route) : m_route(std::move(route)) {}

bool WebhookReceiver::first_delivery(const std::string &id) {
  Mac digest{};
  SHA256(reinterpret_cast<const unsigned char *>(id.data()), id.size(), digest.data());
  return m_event_ids.add(digest);
}

WebhookAnswer WebhookReceiver::receive(std::optional<std::string_view> signature, std::string_view body, long long now,
                                       const std::string &from) {
  const std::string prefix = "POST " + std::string(kWebhookPath) + " from " + from + ": ";
  if (auto verified = m_route.check->verify(signature, body, now); !verified) {
    return answer(401, WebhookOutcome::unauthorized, "{\"error\":\"signature refused\"}\n",
                  prefix + "refused (401): " + std::string(to_string(verified.error())), true);
  }
  auto event = parse_webhook_event(body);
  if (!event) {
    return answer(400, WebhookOutcome::bad_request, "{\"error\":\"the body is not a JSON object\"}\n",
                  prefix + "refused (400): " + event.error().message, true);
  }
  const std::string what = "event " + (event->id ? shown(*event->id) : std::string("without an id")) + " " +
                           (event->type.empty() ? std::string("without a type") : shown(event->type));
  if (event->id && !first_delivery(*event->id)) {
    return answer(200, WebhookOutcome::duplicate, "{\"event\":\"duplicate\"}\n",
                  prefix + what + ": delivered before, ignored");
  }
  if (event->type.rfind("task.", 0) != 0) {
    return answer(200, WebhookOutcome::ignored, "{\"event\":\"ignored\"}\n",
                  prefix + what + ": not a task event, ignored");
  }
  TaskEventRequest request;
  request.healed = event->type == "task.healed";
  if (event->healed_version_id && event->healed_version_id->size() <= kLongestHealedVersionId)
    request.healed_version_id = event->healed_version_id;
  // Which task an event names is not documented (the example shows no UUID): task.healed is
  // handed over without one, for its draft to be looked for among all.
  std::string unnamed;
  if (!event->task_id) {
    unnamed = "names no task";
  } else if (!is_uuid(*event->task_id)) {
    unnamed = "task " + shown(*event->task_id) + " is not a task ID";
  } else {
    request.task_id = ascii_lower(*event->task_id);
  }
  if (!request.task_id && !request.healed) {
    return answer(200, WebhookOutcome::ignored, "{\"event\":\"ignored\"}\n",
                  prefix + what + ": " + unnamed + ", ignored");
  }
  const std::string task = request.task_id.value_or("");
  switch (m_route.request_task_pass(request)) {
  case TaskPassRequest::not_mirrored:
    return answer(200, WebhookOutcome::ignored, "{\"event\":\"ignored\"}\n",
                  prefix + what + ": " + (request.task_id ? "task " + task + " is not mirrored" : unnamed) +
                      ", ignored");
  case TaskPassRequest::every_draft:
    return answer(200, WebhookOutcome::accepted, "{\"event\":\"accepted\",\"drafts\":\"next pass\"}\n",
                  prefix + what + ": " + (request.task_id ? "task " + task + " is not mirrored" : unnamed) +
                      "; the next pass reads every task's draft (at most once per poll.interval_seconds)");
  case TaskPassRequest::started:
    return answer(200, WebhookOutcome::accepted, "{\"event\":\"accepted\",\"pass\":\"started\"}\n",
                  prefix + what + ": starting a pass of task " + task);
  case TaskPassRequest::queued: break;
  }
  return answer(200, WebhookOutcome::accepted, "{\"event\":\"accepted\",\"pass\":\"queued\"}\n",
                prefix + what + ": a pass of task " + task + " follows the one running");
}

} // namespace tasksync
