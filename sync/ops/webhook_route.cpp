#include "ops/webhook_route.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/log.hpp"
#include "base/timestamp.hpp"

namespace tasksync {

namespace {

// The deliveries to POST /webhooks/anchorbrowser: one log line and one count each.
class WebhookDeliveries {
public:
  WebhookDeliveries(WebhookRoute webhook, Metrics &metrics) : m_receiver(std::move(webhook)), m_metrics(metrics) {}

  http::Response answer(const http::Request &request) {
    WebhookAnswer answer =
        m_receiver.receive(request.header("Anchor-Signature"), request.body, unix_now(), request.remote_addr);
    finish(answer);
    return {answer.status, "application/json", std::move(answer.body)};
  }

  // A delivery refused before its body was read: the JSON of its answer.
  std::string refuse(http::Refusal why, const std::string &from) {
    const int status = http::status_of(why);
    const Refused refused = what_was_refused(why);
    finish({status, std::string(refused.json), refused.outcome,
            "POST " + std::string(kWebhookPath) + " from " + from + ": refused (" + std::to_string(status) +
                "): " + refused.reason,
            true});
    return std::string(refused.json);
  }

private:
  /// What a refusal before the body tells the client, the metric and the log.
  struct Refused {
    std::string_view json{};
    WebhookOutcome outcome = WebhookOutcome::bad_request;
    std::string reason{};
  };

  static Refused what_was_refused(http::Refusal why) {
    switch (why) {
    case http::Refusal::busy:
      return {"{\"error\":\"too many deliveries at once; try again\"}\n", WebhookOutcome::busy,
              "more than " + std::to_string(kMostWebhookBodiesAtOnce) +
                  " deliveries' bodies are being received at once"};
    case http::Refusal::too_large:
      return {"{\"error\":\"the body is larger than 1 MiB\"}\n", WebhookOutcome::too_large,
              "the body is larger than 1 MiB (1048576 bytes)"};
    case http::Refusal::malformed: break;
    }
    return {"{\"error\":\"the body's length is not clear\"}\n", WebhookOutcome::bad_request,
            "the body's framing is broken (Content-Length not a number or twice, "
            "Transfer-Encoding other than chunked or with Content-Length)"};
  }

  void finish(const WebhookAnswer &answer) {
    m_metrics.count_webhook(to_string(answer.outcome));
    if (answer.refused)
      log::warning(answer.log_line);
    else
      log::info(answer.log_line);
  }

  WebhookReceiver m_receiver;
  Metrics &m_metrics;
};

} // namespace

std::vector<http::Route> webhook_routes(WebhookRoute webhook, Metrics &metrics) {
  if (!webhook.check) return {};
  metrics.enable_webhooks();
  auto deliveries = std::make_shared<WebhookDeliveries>(std::move(webhook), metrics);
  const std::string path(kWebhookPath);
  http::BodyAllowance body{
      kMaxWebhookBody, kMostWebhookBodiesAtOnce,
      [deliveries](http::Refusal why, const std::string &from) { return deliveries->refuse(why, from); }};
  return {{http::Method::post, path, [deliveries](const http::Request &request) { return deliveries->answer(request); },
           std::move(body)},
          http::use_post(path)};
}

} // namespace tasksync
