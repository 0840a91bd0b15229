#include "ops/status_server.hpp"

#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <list>
#include <string_view>
#include <vector>

#include "base/file_descriptor.hpp"
#include "base/log.hpp"
#include "base/timestamp.hpp"
#include "ops/request_framing.hpp"

// Why not httplib::Server::listen: in cpp-httplib 0.11.4 its accept loop takes every connection
// at once and queues it, without bound, for a pool of (at least) 8 threads; a thread keeps a connection
// for as long as every single read finishes within the read timeout (set_read_timeout is per
// read, and keep_alive() waits up to the keep-alive timeout before even that). So idle clients
// hold descriptors until the process runs out, and 8 clients sending a byte a second hold every
// thread. A task queue (new_task_queue) only sees an opaque closure, not the socket, and nothing
// bounds a whole request. Here one thread accepts, bounds and times connections itself, reads
// each request head into memory, and only then hands it to httplib's parser, router and response
// writer (Server::process_request, the extension point SSLServer uses) through an in-memory
// Stream.

namespace tasksync {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// What is read and thrown away of a body refused before it was read, so that the client reads
// the answer instead of a reset: at most this much, within the connection's deadline.
constexpr std::size_t kMostDrained = 4 * kMaxWebhookBody;

// The routes are httplib's; the connections are ours.
class Router : public httplib::Server {
public:
  using httplib::Server::process_request;
};

std::string numeric_host(const sockaddr_storage &address, socklen_t length, int &port) {
  char host[NI_MAXHOST] = "";
  char service[NI_MAXSERV] = "";
  if (::getnameinfo(reinterpret_cast<const sockaddr *>(&address), length, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    port = 0;
    return "";
  }
  port = std::atoi(service);
  return host;
}

// One request, already read in full, and the answer httplib writes for it.
class BufferedExchange final : public httplib::Stream {
public:
  BufferedExchange(std::string_view request, std::string &response, int socket, const sockaddr_storage &peer,
                   socklen_t peer_length)
      : m_request(request), m_response(response), m_socket(socket), m_peer(peer), m_peer_length(peer_length) {}

  bool is_readable() const override { return m_offset < m_request.size(); }
  bool is_writable() const override { return true; }
  // The end of what arrived is the end of the request: a body that was not sent with the head
  // (status requests have none) is never waited for.
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

// A client connection: reading its request head (and the webhook's body) until `deadline`, then
// sending the answer.
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
  bool webhook = false;            // POST /webhooks/anchorbrowser to a server that takes webhooks
  bool sent_continue = false;      // "100 Continue" went out before the body
  bool answering = false;
  bool drain_after_answer = false; // answered before the body was read: read and drop the rest
  bool draining = false;
  std::size_t drained = 0;
};

// A whole answer the status server writes itself, for a request it does not hand on.
std::string plain_answer(int status, std::string_view reason, std::string_view json) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(json);
}

Result<FileDescriptor> listen_on(const std::string &host, int port, const std::string &where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return Error{"http.listen: cannot listen on " + where + ": " + ::gai_strerror(rc)};
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
  std::string reason = "no address to listen on";
  for (const addrinfo *address = found; address; address = address->ai_next) {
    FileDescriptor socket(
        ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address->ai_protocol));
    if (!socket.is_open()) {
      reason = std::strerror(errno);
      continue;
    }
    // SO_REUSEADDR only: SO_REUSEPORT (cpp-httplib's default) would let a second process share
    // the port silently, and an address in use must be an error.
    const int yes = 1;
    ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // Connections waiting in the kernel's queue cost no descriptor of ours; a long queue lets a
    // burst wait there instead of being refused.
    if (::bind(socket.get(), address->ai_addr, address->ai_addrlen) == 0 && ::listen(socket.get(), SOMAXCONN) == 0) {
      return socket;
    }
    reason = std::strerror(errno);
  }
  return Error{"http.listen: cannot listen on " + where + ": " + reason};
}

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

} // namespace

class StatusServer::Loop {
public:
  Loop(FileDescriptor listener, FileDescriptor wake, std::string where, Metrics &metrics, HealthProbe probe,
       StatusServerLimits limits, SyncRoute sync, WebhookRoute webhook)
      : m_listener(std::move(listener)), m_wake(std::move(wake)), m_where(std::move(where)), m_limits(limits),
        m_sync(std::move(sync)), m_metrics(metrics) {
    m_router.Get("/healthz", [probe = std::move(probe)](const httplib::Request &, httplib::Response &response) {
      const HealthReport report = probe();
      response.status = report.healthy ? 200 : 503;
      response.set_content(report.json, "application/json");
    });
    m_router.Get("/metrics", [&metrics](const httplib::Request &, httplib::Response &response) {
      response.set_content(metrics.serialize(), "text/plain; version=0.0.4");
    });
    if (m_sync.token) {
      m_router.Post("/sync", [this](const httplib::Request &request, httplib::Response &response) {
        answer_sync(request, response);
      });
      m_router.Get("/sync", [](const httplib::Request &, httplib::Response &response) {
        response.status = 405;
        response.set_header("Allow", "POST");
        response.set_content("{\"error\":\"use POST\"}\n", "application/json");
      });
    }
    if (webhook.check) {
      m_webhook.emplace(std::move(webhook));
      m_metrics.enable_webhooks();
      const std::string path(kWebhookPath);
      m_router.Post(path, [this](const httplib::Request &request, httplib::Response &response) {
        answer_webhook(request, response);
      });
      m_router.Get(path, [](const httplib::Request &, httplib::Response &response) {
        response.status = 405;
        response.set_header("Allow", "POST");
        response.set_content("{\"error\":\"use POST\"}\n", "application/json");
      });
    }
  }

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
  // One log line and one count per delivery, whatever became of it.
  void answer_webhook(const httplib::Request &request, httplib::Response &response) {
    const std::string header = request.get_header_value("Anchor-Signature");
    std::optional<std::string_view> signature;
    if (request.has_header("Anchor-Signature")) signature = header;
    WebhookAnswer answer = m_webhook->receive(signature, request.body, unix_now(), request.remote_addr);
    finish_webhook(answer);
    response.status = answer.status;
    response.set_content(answer.body, "application/json");
  }

  void finish_webhook(const WebhookAnswer &answer) {
    m_metrics.count_webhook(to_string(answer.outcome));
    if (answer.refused)
      log::warning(answer.log_line);
    else
      log::info(answer.log_line);
  }

  // The token is checked before anything else; a refusal is logged at most every 10 s (with how
  // many more there were), so a client guessing tokens cannot flood the log.
  void answer_sync(const httplib::Request &request, httplib::Response &response) {
    const std::string from = "POST /sync from " + request.remote_addr;
    if (!m_sync.token->accepts(request.get_header_value("Authorization"))) {
      response.status = 401;
      response.set_header("WWW-Authenticate", "Bearer");
      response.set_content("{\"error\":\"missing or wrong bearer token\"}\n", "application/json");
      const auto now = Clock::now();
      if (now >= m_next_refusal_log) {
        log::warning(from + ": refused, missing or wrong bearer token" +
                     (m_refusals_unlogged ? " (" + std::to_string(m_refusals_unlogged) + " more refused before)" : ""));
        m_refusals_unlogged = 0;
        m_next_refusal_log = now + 10s;
      } else {
        ++m_refusals_unlogged;
      }
      return;
    }
    const bool queued = m_sync.request_pass();
    log::info(from + ": " + (queued ? "a pass follows the one running" : "starting a pass"));
    response.status = 202;
    response.set_content(queued ? "{\"pass\":\"queued\"}\n" : "{\"pass\":\"started\"}\n", "application/json");
  }

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
        if (connection.webhook && bodies_being_read() > kMostWebhookBodiesAtOnce) {
          return answer_early(connection, 503, "Service Unavailable",
                              "{\"error\":\"too many deliveries at once; try again\"}\n", WebhookOutcome::busy,
                              "more than " + std::to_string(kMostWebhookBodiesAtOnce) +
                                  " deliveries' bodies are being received at once");
        }
      }
    }
    if (connection.body) {
      const std::string_view body = std::string_view(connection.input).substr(connection.head_size);
      switch (connection.body->scan(body)) {
      case BodyFraming::Status::incomplete: return true;
      case BodyFraming::Status::too_large:
        if (!connection.webhook)
          return answer_before_body(connection, 413, "Payload Too Large", "{\"error\":\"the request is too large\"}\n");
        return answer_early(connection, 413, "Payload Too Large", "{\"error\":\"the body is larger than 1 MiB\"}\n",
                            WebhookOutcome::too_large, "the body is larger than 1 MiB (1048576 bytes)");
      case BodyFraming::Status::malformed:
        if (!connection.webhook)
          return answer_before_body(connection, 400, "Bad Request", "{\"error\":\"the body's length is not clear\"}\n");
        return answer_early(connection, 400, "Bad Request", "{\"error\":\"the body's length is not clear\"}\n",
                            WebhookOutcome::bad_request,
                            "the body's framing is broken (Content-Length not a number or twice, "
                            "Transfer-Encoding other than chunked or with Content-Length)");
      case BodyFraming::Status::complete: connection.input.resize(connection.head_size + connection.body->end()); break;
      }
    }
    BufferedExchange exchange(connection.input, connection.output, connection.socket.get(), connection.peer,
                              connection.peer_length);
    bool closed = false;
    m_router.process_request(exchange, /*close_connection=*/true, closed, nullptr);
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
  // not arrived yet). A webhook's body may take 1 MiB and its own time, and gets a "100 Continue"
  // when the client waits for one; any other request fits in max_request_bytes with its head.
  void start_body(Connection &connection) {
    const RequestHead head = read_request_head(std::string_view(connection.input).substr(0, connection.head_size));
    connection.webhook = m_webhook && head.method == "POST" && head.path == kWebhookPath;
    if (!connection.webhook) {
      if (head.content_length || head.transfer_encoding) {
        connection.body.emplace(head, m_limits.max_request_bytes -
                                          std::min(m_limits.max_request_bytes, connection.head_size));
      }
      return;
    }
    connection.body.emplace(head, kMaxWebhookBody);
    connection.deadline = Clock::now() + m_limits.body_timeout;
    if (head.expects_continue &&
        connection.body->scan(std::string_view(connection.input).substr(connection.head_size)) ==
            BodyFraming::Status::incomplete) {
      connection.sent_continue = ::send(connection.socket.get(), kContinue.data(), kContinue.size(),
                                        MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(kContinue.size());
    }
  }

  // Connections whose webhook body is being received (buffered), this one included.
  std::size_t bodies_being_read() const {
    return static_cast<std::size_t>(std::count_if(m_connections.begin(), m_connections.end(), [](const Connection &c) {
      return c.webhook && !c.answering && !c.draining;
    }));
  }

  // A webhook refused before its body is read: counted, logged and answered at once.
  bool answer_early(Connection &connection, int status, std::string_view reason, std::string_view json,
                    WebhookOutcome outcome, const std::string &why) {
    int port = 0;
    const std::string from = numeric_host(connection.peer, connection.peer_length, port);
    finish_webhook(
        {status, std::string(json), outcome,
         "POST " + std::string(kWebhookPath) + " from " + from + ": refused (" + std::to_string(status) + "): " + why,
         true});
    return answer_before_body(connection, status, reason, json);
  }

  // Answers a request whose body will not be read, then reads and drops what the client still
  // sends, so that it sees the answer rather than a reset.
  bool answer_before_body(Connection &connection, int status, std::string_view reason, std::string_view json) {
    connection.output = plain_answer(status, reason, json);
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
  StatusServerLimits m_limits;
  SyncRoute m_sync;
  Metrics &m_metrics;
  std::optional<WebhookReceiver> m_webhook;
  Clock::time_point m_next_refusal_log{};
  std::size_t m_refusals_unlogged = 0;
  Router m_router;
  std::list<Connection> m_connections; // oldest first
  Clock::time_point m_accept_paused_until{};
  bool m_accept_failing = false;
};

Result<std::unique_ptr<StatusServer>> StatusServer::start(const HttpSettings &settings, Metrics &metrics,
                                                          HealthProbe probe, StatusServerLimits limits, SyncRoute sync,
                                                          WebhookRoute webhook) {
  const std::string host = settings.host.value_or("127.0.0.1");
  const std::string where =
      (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + std::to_string(settings.port);
  TRY_ASSIGN(auto listener, listen_on(host, settings.port, where));
  FileDescriptor wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.is_open()) return Error{"http.listen: " + where + ": cannot create an eventfd: " + std::strerror(errno)};
  limits.max_connections = std::max<std::size_t>(limits.max_connections, 1);
  limits.max_request_bytes = std::max<std::size_t>(limits.max_request_bytes, 4);
  std::unique_ptr<StatusServer> server(new StatusServer());
  server->m_loop = std::make_unique<Loop>(std::move(listener), std::move(wake), where, metrics, std::move(probe),
                                          limits, std::move(sync), std::move(webhook));
  server->m_thread = std::thread([loop = server->m_loop.get()] { loop->run(); });
  return server;
}

StatusServer::~StatusServer() {
  if (m_loop) m_loop->stop();
  if (m_thread.joinable()) m_thread.join();
}

} // namespace tasksync
