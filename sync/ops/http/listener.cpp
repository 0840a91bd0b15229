#include "ops/http/listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <list>
#include <optional>
#include <string_view>

#include "base/file_descriptor.hpp"
#include "base/log.hpp"
#include "ops/http/request_framing.hpp"
#include "ops/http/router.hpp"
#include "ops/http/sockets.hpp"

// Why not httplib::Server::listen: in cpp-httplib 0.11.4 its accept loop takes every connection
// at once and queues it, without bound, for a pool of (at least) 8 threads; a thread keeps a connection
// for as long as every single read finishes within the read timeout (set_read_timeout is per
// read, and keep_alive() waits up to the keep-alive timeout before even that). So idle clients
// hold descriptors until the process runs out, and 8 clients sending a byte a second hold every
// thread. A task queue (new_task_queue) only sees an opaque closure, not the socket, and nothing
// bounds a whole request. Here one thread accepts, bounds and times connections itself, reads
// each request (head and body) into memory, and only then hands it to httplib's parser, router
// and response writer (Router).

namespace tasksync::http {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// What is read and thrown away of a body refused before it was read, so that the client reads
// the answer instead of a reset: at most this much (4 MiB), within the connection's deadline.
constexpr std::size_t kMostDrained = std::size_t{4} * 1024 * 1024;

// A client connection: reading its request head (and its body) until `deadline`, then sending the
// answer.
struct Connection {
  FileDescriptor socket;
  sockaddr_storage peer{};
  socklen_t peer_length = 0;
  Clock::time_point deadline;
  std::string input;
  std::string output;
  std::size_t sent = 0;
  std::size_t head_size = 0;       // once the head has arrived
  std::optional<BodyFraming> body; // a request that announces a body: where it ends
  const Route *route = nullptr;    // the route it names, when that takes a body of its own
  bool sent_continue = false;      // "100 Continue" went out before the body
  bool answering = false;
  bool drain_after_answer = false; // answered before the body was read: read and drop the rest
  bool draining = false;
  std::size_t drained = 0;
};

/// How the listener words a refusal: its status line's reason, and the JSON it answers for a route
/// without words of its own.
struct RefusalWords {
  std::string_view reason{};
  std::string_view json{};
};

RefusalWords words_for(Refusal refusal) {
  switch (refusal) {
  case Refusal::malformed: return {"Bad Request", "{\"error\":\"the body's length is not clear\"}\n"};
  case Refusal::too_large: return {"Payload Too Large", "{\"error\":\"the request is too large\"}\n"};
  case Refusal::busy: return {"Service Unavailable", "{\"error\":\"too many requests at once; try again\"}\n"};
  }
  return {"Bad Request", "{\"error\":\"the body's length is not clear\"}\n"};
}

// The whole answer to a request refused before its body was read, which httplib never sees.
std::string refusal_answer(Refusal refusal, std::string_view json) {
  return "HTTP/1.1 " + std::to_string(status_of(refusal)) + " " + std::string(words_for(refusal).reason) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(json);
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

} // namespace

class Listener::Loop {
public:
  Loop(FileDescriptor listener, FileDescriptor wake, std::string where, std::vector<Route> routes,
       ListenerLimits limits)
      : m_listener(std::move(listener)), m_wake(std::move(wake)), m_where(std::move(where)), m_limits(limits),
        m_router(std::move(routes)) {}

  // Serves until stop() is called.
  void run() {
    std::vector<pollfd> polled;
    std::vector<std::list<Connection>::iterator> polled_connections;
    for (;;) {
      const auto now = Clock::now();
      m_connections.remove_if([now](const Connection &connection) { return connection.deadline <= now; });
      const bool accepting = now >= m_accept_paused_until;
      polled.assign({{m_wake.get(), POLLIN, 0}});
      if (accepting) polled.push_back({m_listener.get(), POLLIN, 0});
      polled_connections.clear();
      auto wake_at = accepting ? Clock::time_point::max() : m_accept_paused_until;
      for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        polled.push_back({it->socket.get(), static_cast<short>(it->answering ? POLLOUT : POLLIN), 0});
        polled_connections.push_back(it);
        wake_at = std::min(wake_at, it->deadline);
      }
      const int ready = ::poll(polled.data(), polled.size(), timeout_ms(now, wake_at));
      if (ready < 0) {
        if (errno == EINTR) continue;
        // Only ENOMEM is possible here; wait a little (or for stop) rather than spin.
        log::warning("status server on " + m_where + ": poll failed: " + std::strerror(errno));
        pollfd wake{m_wake.get(), POLLIN, 0};
        if (::poll(&wake, 1, 100) > 0) return;
        continue;
      }
      if (polled[0].revents != 0) return;
      // Requests already accepted are read before more connections are taken, so that a burst of
      // new ones cannot push out a request that has arrived.
      const std::size_t first = accepting ? 2 : 1;
      for (std::size_t i = 0; i < polled_connections.size(); ++i) {
        if (polled[first + i].revents == 0) continue;
        if (!progress(*polled_connections[i])) m_connections.erase(polled_connections[i]);
      }
      if (accepting && polled[1].revents != 0) accept_connections();
    }
  }

  // Makes run() return; callable from any thread.
  void stop() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(m_wake.get(), &one, sizeof one);
  }

private:
  static int timeout_ms(Clock::time_point now, Clock::time_point wake_at) {
    if (wake_at == Clock::time_point::max()) return -1;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - now).count();
    return static_cast<int>(std::clamp<decltype(wait)>(wait, 0, std::numeric_limits<int>::max()));
  }

  // Takes the waiting connections, a slice at a time. Over the limit, the oldest connection is
  // closed rather than the new one refused: the oldest has had the longest to send its request, and
  // refusing would let a few slow clients keep everyone else out.
  void accept_connections() {
    for (std::size_t taken = 0; taken < m_limits.max_connections; ++taken) {
      Connection connection;
      connection.peer_length = sizeof connection.peer;
      const int socket = ::accept4(m_listener.get(), reinterpret_cast<sockaddr *>(&connection.peer),
                                   &connection.peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (socket < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the connection waits in
        // the kernel's queue; try again shortly instead of spinning on a listener that stays readable.
        if (!m_accept_failing) {
          log::warning("status server on " + m_where + ": cannot accept a connection: " + std::strerror(errno) +
                       "; retrying every 100 ms");
        }
        m_accept_failing = true;
        m_accept_paused_until = Clock::now() + 100ms;
        return;
      }
      m_accept_failing = false;
      connection.socket = FileDescriptor(socket);
      while (m_connections.size() >= m_limits.max_connections)
        m_connections.pop_front();
      connection.deadline = Clock::now() + m_limits.request_timeout;
      m_connections.push_back(std::move(connection));
      // A request usually arrives with its connection: read it now, before the rest of the burst.
      if (!progress(m_connections.back())) m_connections.pop_back();
    }
  }

  // Reads or writes what the socket allows; false once the connection is finished.
  bool progress(Connection &connection) {
    if (connection.answering) return send_answer(connection);
    return connection.draining ? drain(connection) : receive(connection);
  }

  bool receive(Connection &connection) {
    char buffer[16384];
    const std::size_t limit =
        connection.body ? connection.head_size + connection.body->read_limit() : m_limits.max_request_bytes;
    const std::size_t room = std::min(sizeof buffer, limit - std::min(limit, connection.input.size()));
    const ssize_t length = room == 0 ? 0 : ::recv(connection.socket.get(), buffer, room, 0);
    if (length == 0) return false;
    if (length < 0) return would_block(errno);
    const std::size_t search_from = connection.input.size() >= 3 ? connection.input.size() - 3 : 0;
    connection.input.append(buffer, static_cast<std::size_t>(length));
    if (connection.head_size == 0) {
      const auto head_end = connection.input.find("\r\n\r\n", search_from);
      // A head that does not end within the limit is answered as it is (httplib says 400 or 414).
      if (head_end == std::string::npos) {
        if (connection.input.size() < m_limits.max_request_bytes) return true;
      } else {
        connection.head_size = head_end + 4;
        start_body(connection);
        if (connection.route && bodies_being_read(*connection.route) > connection.route->body->most_at_once) {
          return refuse(connection, Refusal::busy);
        }
      }
    }
    if (connection.body) {
      const std::string_view body = std::string_view(connection.input).substr(connection.head_size);
      switch (connection.body->scan(body)) {
      case BodyFraming::Status::incomplete: return true;
      case BodyFraming::Status::too_large: return refuse(connection, Refusal::too_large);
      case BodyFraming::Status::malformed: return refuse(connection, Refusal::malformed);
      case BodyFraming::Status::complete: connection.input.resize(connection.head_size + connection.body->end()); break;
      }
    }
    connection.output =
        m_router.answer(connection.input, connection.socket.get(), connection.peer, connection.peer_length);
    // The client has had its "100 Continue" already; httplib writes one of its own first.
    if (connection.sent_continue && std::string_view(connection.output).substr(0, kContinue.size()) == kContinue) {
      connection.output.erase(0, kContinue.size());
    }
    connection.input = std::string();
    connection.answering = true;
    connection.deadline = Clock::now() + m_limits.response_timeout;
    return send_answer(connection);
  }

  // A request is handed on whole, its body included (httplib would answer 400 for a body that has
  // not arrived yet). A route with a BodyAllowance takes its own size and time for the body, and
  // a "100 Continue" when the client waits for one; any other request fits in max_request_bytes
  // with its head.
  void start_body(Connection &connection) {
    const RequestHead head = read_request_head(std::string_view(connection.input).substr(0, connection.head_size));
    connection.route = m_router.route_with_body(head);
    if (!connection.route) {
      if (head.content_length || head.transfer_encoding) {
        connection.body.emplace(head, m_limits.max_request_bytes -
                                          std::min(m_limits.max_request_bytes, connection.head_size));
      }
      return;
    }
    connection.body.emplace(head, connection.route->body->max_bytes);
    connection.deadline = Clock::now() + m_limits.body_timeout;
    if (head.expects_continue &&
        connection.body->scan(std::string_view(connection.input).substr(connection.head_size)) ==
            BodyFraming::Status::incomplete) {
      connection.sent_continue = ::send(connection.socket.get(), kContinue.data(), kContinue.size(),
                                        MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(kContinue.size());
    }
  }

  // Connections whose body for `route` is being received (buffered), this one included.
  std::size_t bodies_being_read(const Route &route) const {
    return static_cast<std::size_t>(std::count_if(m_connections.begin(), m_connections.end(), [&](const Connection &c) {
      return c.route == &route && !c.answering && !c.draining;
    }));
  }

  // Answers a request whose body will not be read (in its route's words when it has them), then
  // reads and drops what the client still sends, so that it sees the answer rather than a reset.
  bool refuse(Connection &connection, Refusal why) {
    std::string json;
    if (connection.route && connection.route->body->refused) {
      int port = 0;
      json = connection.route->body->refused(why, numeric_host(connection.peer, connection.peer_length, port));
    } else {
      json = words_for(why).json;
    }
    connection.output = refusal_answer(why, json);
    connection.input = std::string();
    connection.answering = true;
    connection.drain_after_answer = true;
    connection.deadline = Clock::now() + m_limits.response_timeout;
    return send_answer(connection);
  }

  bool drain(Connection &connection) {
    char buffer[16384];
    for (int i = 0; i < 16; ++i) {
      const ssize_t length = ::recv(connection.socket.get(), buffer, sizeof buffer, 0);
      if (length == 0) return false;
      if (length < 0) return would_block(errno);
      connection.drained += static_cast<std::size_t>(length);
      if (connection.drained > kMostDrained) return false;
    }
    return true;
  }

  bool send_answer(Connection &connection) {
    while (connection.sent < connection.output.size()) {
      const ssize_t length = ::send(connection.socket.get(), connection.output.data() + connection.sent,
                                    connection.output.size() - connection.sent, MSG_NOSIGNAL);
      if (length < 0) return would_block(errno);
      connection.sent += static_cast<std::size_t>(length);
    }
    if (connection.drain_after_answer) {
      ::shutdown(connection.socket.get(), SHUT_WR);
      connection.answering = false;
      connection.draining = true;
      return true;
    }
    // Closing with unread bytes (a pipelined request) would reset the connection, and a reset
    // can destroy the answer before the client reads it: discard what is there first.
    char buffer[4096];
    for (int i = 0; i < 16 && ::recv(connection.socket.get(), buffer, sizeof buffer, MSG_DONTWAIT) > 0; ++i) {
    }
    return false;
  }

  FileDescriptor m_listener;
  FileDescriptor m_wake;
  std::string m_where;
  ListenerLimits m_limits;
  Router m_router;
  std::list<Connection> m_connections; // oldest first
  Clock::time_point m_accept_paused_until{};
  bool m_accept_failing = false;
};

Result<std::unique_ptr<Listener>> Listener::start(const std::string &host, int port, std::vector<Route> routes,
                                                  ListenerLimits limits) {
  const std::string where = endpoint_name(host, port);
  TRY_ASSIGN(auto listener, listen_on(host, port, where));
  FileDescriptor wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.is_open()) return Error{where + ": cannot create an eventfd: " + std::strerror(errno)};
  limits.max_connections = std::max<std::size_t>(limits.max_connections, 1);
  limits.max_request_bytes = std::max<std::size_t>(limits.max_request_bytes, 4);
  std::unique_ptr<Listener> server(new Listener());
  server->m_loop = std::make_unique<Loop>(std::move(listener), std::move(wake), where, std::move(routes), limits);
  server->m_thread = std::thread([loop = server->m_loop.get()] { loop->run(); });
  return server;
}

Listener::~Listener() {
  if (m_loop) m_loop->stop();
  if (m_thread.joinable()) m_thread.join();
}

} // namespace tasksync::http
