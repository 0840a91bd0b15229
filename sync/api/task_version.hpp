#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/json_fields.hpp"
#include "base/result.hpp"
#include "base/timestamp.hpp"

namespace tasksync {

// One version of a task as the API describes it, validated and with its code decoded.
struct TaskVersion {
  std::string id;      // the version's own ID
  std::string task_id; // lower-case, equal to the ID that was requested
  std::string version; // "7", "draft", "latest": letters, digits, '.', '_', '-' only
  std::string code;    // decoded source bytes
  std::optional<std::string> language;
  std::optional<std::string> description;
  std::shared_ptr<const rapidjson::Document> browser_configuration; // null when absent
  bool deleted = false;
  std::string created_at;
  std::string updated_at;
  Timestamp updated; // updated_at, parsed
};

// Parses and validates a `GET /v1/task/{id}/latest` body for the task `expected_task_id`.
// Errors name the field and the problem, e.g. "data.code: invalid base64".
Result<TaskVersion> parse_task_version(std::string body, std::string_view expected_task_id);

// The task ID in member `key` of an answer's data, in lower case, when it is `asked` (either
// case); else the error "data.<key>: the <answer> is for task "<ID>"<tail>". Every answer about one
// task is checked so: an answer for another task is never kept as the one asked for.
Result<std::string> answered_task_id(const JsonFields &data, const char *key, std::string_view asked,
                                     std::string_view answer, std::string_view tail = "");

} // namespace tasksync
