#pragma once

#include <sys/socket.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ops/http/request_framing.hpp"
#include "ops/http/route.hpp"

namespace tasksync::http {

/// A route table answered through cpp-httplib's request parser, router and response writer, for
/// requests already read whole: 404 for a path no route has, 400 or 414 for a head it cannot read.
class Router {
public:
  explicit Router(std::vector<Route> routes);
  ~Router();
  Router(const Router &) = delete;
  Router &operator=(const Router &) = delete;

  // The route that `head` names when it takes a body of its own (a BodyAllowance), else nullptr.
  const Route *route_with_body(const RequestHead &head) const;
  // The whole answer to `request` (its head and its whole body) from the client at `peer` on `socket`.
  std::string answer(std::string_view request, int socket, const sockaddr_storage &peer, socklen_t peer_length);

private:
  class Server;

  std::vector<Route> m_routes;
  std::unique_ptr<Server> m_server;
};

} // namespace tasksync::http
