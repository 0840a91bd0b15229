#pragma once

#include <string>
#include <string_view>

namespace tasksync {

// What a redacted secret is replaced by, wherever it is shown or written.
inline constexpr std::string_view kRedacted = "<redacted>";

// `text` with the userinfo of every URL in it (`://` followed by an authority holding '@')
// redacted: `scheme://user:pass@host` becomes `scheme://user:<redacted>@host`, and
// `scheme://token@host` becomes `scheme://<redacted>@host`, whatever the scheme or its case. A URL
// ends at '/', '?', '#', '\', whitespace or a control character; the userinfo runs to the last '@'
// before that. Applying it again changes nothing.
std::string redact_url_userinfo(std::string_view text);

} // namespace tasksync
