#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tasksync {

// An HTTP-date in its preferred form ("Wed, 21 Oct 2026 07:28:00 GMT", RFC 9110) as Unix
// seconds; nullopt when it is not one. Any year up to 9999 is read without overflow.
std::optional<std::int64_t> parse_http_date(std::string_view text);

} // namespace tasksync
