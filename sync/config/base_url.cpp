#include "config/base_url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/text.hpp"

namespace tasksync {

std::string BaseUrl::origin() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string BaseUrl::to_string() const { return origin() + path_prefix; }

bool BaseUrl::is_loopback() const {
  if (ascii_lower(host) == "localhost") return true;
  // Only an address literal: a name is whatever DNS says it is, however it is spelled.
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::optional<UrlParts> split_url(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  const std::string_view scheme = text.substr(0, scheme_end);
  const auto scheme_char = [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; };
  if (!std::isalpha(static_cast<unsigned char>(scheme[0])) || !std::all_of(scheme.begin(), scheme.end(), scheme_char)) {
    return std::nullopt;
  }
  UrlParts parts;
  parts.scheme = ascii_lower(scheme);
  const std::string_view after = text.substr(scheme_end + 3);
  const auto authority_end = std::min(after.find_first_of("/?#"), after.size());
  std::string_view authority = after.substr(0, authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    parts.user_info = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  parts.host_port = std::string(authority);
  parts.rest = std::string(after.substr(authority_end));
  return parts;
}

Result<BaseUrl> parse_base_url(std::string_view text) {
  BaseUrl url;
  const auto parts = split_url(text);
  if (!parts) return Error{"expected http://host or https://host"};
  url.scheme = parts->scheme;
  if (url.scheme != "http" && url.scheme != "https") {
    return Error{"unsupported scheme \"" + url.scheme + "\" (expected http or https)"};
  }
  if (parts->rest.find_first_of("?#") != std::string::npos) {
    return Error{"a base URL takes no query or fragment"};
  }
  if (parts->user_info) {
    return Error{"credentials in the URL are refused (they would end up in logs)"};
  }
  const std::string_view authority = parts->host_port;
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
  if (!parts->rest.empty()) {
    std::string_view path = parts->rest;
    while (path.ends_with("/"))
      path.remove_suffix(1);
    url.path_prefix = std::string(path);
  }
  return url;
}

} // namespace tasksync
