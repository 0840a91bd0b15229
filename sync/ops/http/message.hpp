#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tasksync::http {

/// A request as a route sees it: read whole, its body decoded, nothing of its connection.
struct Request {
  std::string method;
  std::string path; // decoded, without the query
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  std::string remote_addr{}; // the client's address as numbers, for the log

  // The value of the first header named `name` (in any case); nullopt when there is none.
  std::optional<std::string_view> header(std::string_view name) const;
};

/// What a route answers; the listener adds the length and the framing.
struct Response {
  int status = 200;
  std::string content_type{};
  std::string body{};
  std::vector<std::pair<std::string, std::string>> headers{}; // besides Content-Type
};

} // namespace tasksync::http
