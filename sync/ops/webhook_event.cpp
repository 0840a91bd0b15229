#include "ops/webhook_event.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "api/json_fields.hpp"

namespace tasksync {

Result<WebhookEvent> parse_webhook_event(std::string_view body) {
  rapidjson::Document document;
  // The iterative parser keeps deep nesting off the stack; the allocator's pool frees the tree
  // without walking it.
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (document.HasParseError()) {
    return Error{std::string("the body is not JSON: ") + rapidjson::GetParseError_En(document.GetParseError()) +
                 " at byte " + std::to_string(document.GetErrorOffset())};
  }
  if (!document.IsObject()) return Error{"the body is not a JSON object"};
  WebhookEvent event;
  if (const auto id = document.FindMember("id"); id != document.MemberEnd()) {
    if (id->value.IsString()) {
      event.id = std::string(id->value.GetString(), id->value.GetStringLength());
    } else if (id->value.IsNumber()) {
      if (auto text = json_text(id->value)) event.id = std::move(*text);
    }
  }
  event.type = string_member(document, "type").value_or("");
  if (const auto data = document.FindMember("data"); data != document.MemberEnd() && data->value.IsObject()) {
    event.task_id = string_member(data->value, "task_id");
    if (!event.task_id) event.task_id = string_member(data->value, "taskId");
    event.healed_version_id = string_member(data->value, "healed_task_version_id");
  }
  return event;
}

} // namespace tasksync
