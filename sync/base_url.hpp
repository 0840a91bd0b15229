#pragma once

#include <string>
#include <string_view>

#include "result.hpp"

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
  // True for localhost and loopback addresses.
  bool is_loopback() const;
};

// Parses "https://host[:port][/prefix]"; user info, queries and fragments are refused.
Result<BaseUrl> parse_base_url(std::string_view text);

} // namespace tasksync
