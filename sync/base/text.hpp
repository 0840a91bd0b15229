#pragma once

#include <string>
#include <string_view>

namespace tasksync {

// `text` with ASCII letters in lower case (task IDs, URL schemes and host names compare so).
std::string ascii_lower(std::string_view text);

// True when `text` is one or more ASCII digits and nothing else (no sign, space or point).
bool is_decimal(std::string_view text);

// `text` without the spaces and tabs around it: HTTP's optional white space (RFC 9110 5.6.3).
std::string_view trim_http_whitespace(std::string_view text);

// True for a UUID in 8-4-4-4-12 hexadecimal form (either case), the form of a task ID.
bool is_uuid(std::string_view text);

// True for a task ID as tasksync keeps it: a UUID in lower case, the form that config, the task
// list and webhooks turn an ID into. A directory of tasks/ named otherwise is not a task.
bool is_task_id(std::string_view text);

} // namespace tasksync
