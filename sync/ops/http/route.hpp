#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ops/http/message.hpp"

namespace tasksync::http {

// The methods a route answers; GET answers HEAD too.
enum class Method { get, post };

// "GET" or "POST".
std::string_view to_string(Method method);

/// Why a request was answered before its body was read.
enum class Refusal {
  malformed, // 400: where its body ends is not clear
  too_large, // 413: its body is larger than its route takes
  busy,      // 503: its route has as many bodies being read as it allows
};

// The status a refusal is answered with: 400, 413 or 503.
int status_of(Refusal refusal);

/// A body larger than fits with the request head: read within the listener's body_timeout of
/// the head, after a "100 Continue" when the client waits for one.
struct BodyAllowance {
  std::size_t max_bytes = 0;    // the largest body read; a larger one is refused as too_large
  std::size_t most_at_once = 1; // bodies of the route read at once; one more is refused as busy
  // The JSON body of the answer to a request refused before its body was read, from the client
  // at `peer`; also where the route counts and logs the refusal. None: the listener's words.
  std::function<std::string(Refusal why, const std::string &peer)> refused{};
};

/// One line of a route table: a method and an exact path, and what answers them.
struct Route {
  Method method = Method::get;
  std::string path{};
  std::function<Response(const Request &request)> handle{};
  std::optional<BodyAllowance> body{}; // none: a body must fit with its head in max_request_bytes
};

// GET `path`: 405, Allow: POST, for a route that is only POST.
Route use_post(std::string path);

} // namespace tasksync::http
