#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

/// What tasksyncd reads of a webhook delivery's envelope `{id, type, created, project_id, text, data}`.
struct WebhookEvent {
  std::optional<std::string> id;                // the event's id (a string, or a number as its text)
  std::string type;                             // e.g. "task.healed"; empty when absent or not a string
  std::optional<std::string> task_id;           // data.task_id, else data.taskId (undocumented: both are read), as sent
  std::optional<std::string> healed_version_id; // data.healed_task_version_id (task.healed), as sent
};

// Parses a delivery's body: a JSON object (valid UTF-8, parsed without recursion, so nesting
// costs no stack). Members other than those above, and their types, are not checked: the
// platform may add any. The error says what is wrong, without quoting the body.
Result<WebhookEvent> parse_webhook_event(std::string_view body);

} // namespace tasksync
