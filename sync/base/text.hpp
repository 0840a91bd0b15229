#pragma once

#include <string>
#include <string_view>

namespace tasksync {

// `text` with ASCII letters in lower case (task IDs, URL schemes and host names compare so).
std::string ascii_lower(std::string_view text);

// True for a UUID in 8-4-4-4-12 hexadecimal form (either case), the form of a task ID.
bool is_uuid(std::string_view text);

} // namespace tasksync
