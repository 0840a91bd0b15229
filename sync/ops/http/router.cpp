#include "ops/http/router.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstring>

#include "ops/http/sockets.hpp"

// httplib parses, routes and writes; the bytes come from memory. Server::process_request is the
// extension point SSLServer uses, reached here through a subclass.

namespace tasksync::http {

namespace {

// One request, already read in full, and the answer httplib writes for it.
class BufferedExchange final : public httplib::Stream {
public:
  BufferedExchange(std::string_view request, std::string &response, int socket, const sockaddr_storage &peer,
                   socklen_t peer_length)
      : m_request(request), m_response(response), m_socket(socket), m_peer(peer), m_peer_length(peer_length) {}

  bool is_readable() const override { return m_offset < m_request.size(); }
  bool is_writable() const override { return true; }
  // The end of what arrived is the end of the request: the listener read every announced body
  // before, so nothing is waited for.
  ssize_t read(char *ptr, std::size_t size) override {
    const std::size_t count = std::min(size, m_request.size() - m_offset);
    std::memcpy(ptr, m_request.data() + m_offset, count);
    m_offset += count;
    return static_cast<ssize_t>(count);
  }
  ssize_t write(const char *ptr, std::size_t size) override {
    m_response.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string &ip, int &port) const override {
    ip = numeric_host(m_peer, m_peer_length, port);
  }
  void get_local_ip_and_port(std::string &ip, int &port) const override {
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (::getsockname(m_socket, reinterpret_cast<sockaddr *>(&local), &length) != 0) length = 0;
    ip = numeric_host(local, length, port);
  }
  // process_request answers 500 to any socket numbered FD_SETSIZE or above (its select() could
  // not watch it), and uses the number for nothing else; this stream is never selected on.
  socket_t socket() const override { return INVALID_SOCKET; }

private:
  std::string_view m_request;
  std::string &m_response;
  int m_socket;
  const sockaddr_storage &m_peer;
  socklen_t m_peer_length;
  std::size_t m_offset = 0;
};

// httplib's patterns are regular expressions; a route's path is matched as it is written.
std::string exactly(std::string_view path) {
  std::string pattern;
  for (const char c : path) {
    if (std::strchr("\\^$.|?*+()[]{}", c)) pattern += '\\';
    pattern += c;
  }
  return pattern;
}

Request to_request(const httplib::Request &request) {
  Request value{request.method, request.path};
  value.headers.assign(request.headers.begin(), request.headers.end());
  value.body = request.body;
  value.remote_addr = request.remote_addr;
  return value;
}

void fill(httplib::Response &response, const Response &value) {
  // A 200 is left for httplib to choose, as a handler that sets no status does: 206 for a
  // request with a Range header (whose range it applies), else 200.
  if (value.status != 200) response.status = value.status;
  for (const auto &[name, content] : value.headers)
    response.set_header(name, content);
  response.set_content(value.body, value.content_type);
}

} // namespace

class Router::Server : public httplib::Server {
public:
  using httplib::Server::process_request;
};

Router::Router(std::vector<Route> routes) : m_routes(std::move(routes)), m_server(std::make_unique<Server>()) {
  for (const Route &route : m_routes) {
    auto handler = [handle = route.handle](const httplib::Request &request, httplib::Response &response) {
      fill(response, handle(to_request(request)));
    };
    if (route.method == Method::get)
      m_server->Get(exactly(route.path), handler);
    else
      m_server->Post(exactly(route.path), handler);
  }
}

Router::~Router() = default;

const Route *Router::route_with_body(const RequestHead &head) const {
  const auto found = std::find_if(m_routes.begin(), m_routes.end(), [&](const Route &route) {
    return route.body && to_string(route.method) == head.method && route.path == head.path;
  });
  return found == m_routes.end() ? nullptr : &*found;
}

std::string Router::answer(std::string_view request, int socket, const sockaddr_storage &peer, socklen_t peer_length) {
  std::string response;
  BufferedExchange exchange(request, response, socket, peer, peer_length);
  bool closed = false;
  m_server->process_request(exchange, /*close_connection=*/true, closed, nullptr);
  return response;
}

} // namespace tasksync::http
