#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "ops/http/route.hpp"

namespace tasksync::http {

/// How much of the process a listener may take, whatever its clients do.
struct ListenerLimits {
  std::size_t max_connections = 64;                 // open client connections (descriptors) at most
  std::chrono::milliseconds request_timeout{2000};  // from accepting to the end of the request head
  std::chrono::milliseconds response_timeout{5000}; // to send the whole answer
  std::size_t max_request_bytes = 8192;             // request line and headers, and a body without an allowance
  std::chrono::milliseconds body_timeout{5000};     // a route's BodyAllowance: from its head to the end of its body
};

// Serves a route table on one address, one request per connection, from a thread of its own,
// without ever holding more than `max_connections` client sockets: a connection over the limit
// closes the oldest one, and a request that is not complete within `request_timeout` of
// connecting is cut off, so slow or idle clients cannot take descriptors or time from the rest of
// the process. Every body a request announces is read in full, within its route's allowance or
// within max_request_bytes with its head, before the request is routed; beyond that it is refused
// (413, or 400 when its length is not clear) before it is read.
class Listener {
public:
  // Binds `host`:`port` and serves `routes` until destroyed. Its errors name the address
  // ("cannot listen on 127.0.0.1:8080: ..."), for the caller to name the setting.
  static Result<std::unique_ptr<Listener>> start(const std::string &host, int port, std::vector<Route> routes,
                                                 ListenerLimits limits = {});
  ~Listener();
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

private:
  class Loop;
  Listener() = default;

  std::unique_ptr<Loop> m_loop;
  std::thread m_thread;
};

} // namespace tasksync::http
