#include "base/url_userinfo.hpp"

namespace tasksync {
namespace {

// Where a URL's authority ends: RFC 3986's delimiters, plus a backslash (browsers read it as '/'
// in http URLs) and whitespace or controls, which end a URL written inside longer text.
bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '\\' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
}

} // namespace

std::string redact_url_userinfo(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  // Any scheme, even none: what follows "://" up to '@' is a userinfo whatever precedes it.
  for (std::size_t marker = text.find("://"); marker != std::string_view::npos; marker = text.find("://", marker + 3)) {
    const std::size_t start = marker + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end]))
      ++end;
    const std::string_view authority = text.substr(start, end - start);
    // The last '@': a password with an unencoded '@' in it still ends up wholly redacted.
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos || at == 0) continue;
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    out.append(text.substr(copied, start - copied));
    if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
    out.append(kRedacted);
    copied = start + at;
  }
  out.append(text.substr(copied));
  return out;
}

} // namespace tasksync
