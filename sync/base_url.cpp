#include "base_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "text.hpp"

namespace tasksync {

std::string BaseUrl::origin() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string BaseUrl::to_string() const { return origin() + path_prefix; }

bool BaseUrl::is_loopback() const {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

Result<BaseUrl> parse_base_url(std::string_view text) {
  BaseUrl url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return Error{"expected http://host or https://host"};
  url.scheme = ascii_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    return Error{"unsupported scheme \"" + url.scheme + "\" (expected http or https)"};
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Error{"a base URL takes no query or fragment"};
  }
  const auto path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) {
    return Error{"credentials in the URL are refused (they would end up in logs)"};
  }
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Error{"unterminated [IPv6 address]"};
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":")) return Error{"unexpected text after ]"};
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Error{"the URL has no host"};
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      return Error{"invalid port \"" + std::string(port_text) + "\""};
    }
    url.port = port;
  }
  if (path_start != std::string_view::npos) {
    std::string_view path = rest.substr(path_start);
    while (path.ends_with("/")) path.remove_suffix(1);
    url.path_prefix = std::string(path);
  }
  return url;
}

} // namespace tasksync
