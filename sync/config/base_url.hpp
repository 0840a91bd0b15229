#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// The API's base URL split into what the HTTP client needs.
struct BaseUrl {
  std::string scheme;      // "http" or "https"
  std::string host;        // name or address; IPv6 without brackets
  int port = 0;            // explicit or the scheme's default
  std::string path_prefix; // "" or "/something", never ending in '/'

  // "scheme://host:port", the form cpp-httplib's Client takes.
  std::string origin() const;
  // The URL as a person would write it: origin plus prefix.
  std::string to_string() const;
  // True for exactly `localhost` (any case) and literal loopback addresses (127.0.0.0/8, ::1),
  // never for a name that merely looks like one (127.0.0.1.nip.io).
  bool is_loopback() const;
};

// "scheme://[user_info@]host_port[rest]" taken apart, for the checks every URL must pass.
struct UrlParts {
  std::string scheme;                   // lower-cased: schemes are case-insensitive (RFC 3986)
  std::optional<std::string> user_info; // what precedes the authority's last '@', when present
  std::string host_port;                // the authority without the user info
  std::string rest;                     // from the first '/', '?' or '#' after the authority
};

// Splits a URL with a scheme; nullopt when `text` has none (a path, or scp-like "git@host:x").
std::optional<UrlParts> split_url(std::string_view text);

// Parses "https://host[:port][/prefix]" (scheme in any case); user info, queries and fragments
// are refused.
Result<BaseUrl> parse_base_url(std::string_view text);

} // namespace tasksync
