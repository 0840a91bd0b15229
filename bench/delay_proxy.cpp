// bench-delay-proxy: a TCP proxy on 127.0.0.1 that makes loopback look like a long wire, for
// bench/run.sh --latency (netem is not available where the benchmark runs).
//
// A new connection costs one RTT (the TCP handshake a real client waits for before it can send),
// and every chunk of bytes arrives RTT/2 after it was sent, in each direction. Delays overlap as
// on a wire: a chunk's delay starts when the proxy receives it, so a stream of chunks arrives
// RTT/2 late in all, not RTT/2 per chunk. Bandwidth and loss are not modelled.
//
// Prints the port it listens on, then serves until SIGTERM or SIGINT. SIGHUP prints
// "connections C open=O up=BYTES down=BYTES": connections accepted so far, those still open, and
// the bytes forwarded each way.
#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <list>
#include <optional>
#include <string>

#include "base/file_descriptor.hpp"

namespace {

using tasksync::FileDescriptor;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadSize = std::size_t{64} * 1024;
// A direction stops reading its source past this many bytes in flight, as a full window would.
constexpr std::size_t kMaxQueued = std::size_t{4} * 1024 * 1024;

[[noreturn]] void fail(const std::string &what) {
  std::cerr << "bench-delay-proxy: " << what << ": " << std::strerror(errno) << "\n";
  std::exit(1);
}

// Bytes received from one end, in order, each chunk with the time it is due at the other end.
struct Direction {
  struct Chunk {
    Clock::time_point due;
    std::string bytes; // empty: the source closed its end (EOF), to be passed on when due
  };
  std::deque<Chunk> chunks;
  std::size_t queued = 0;   // bytes in `chunks`
  std::size_t sent = 0;     // bytes of the front chunk already written
  bool source_done = false; // EOF read from the source: nothing more will be queued
  bool sink_done = false;   // EOF passed on (shutdown(SHUT_WR)): this direction is finished
  bool blocked = false;     // the sink's send buffer was full; wait for EPOLLOUT
};

// A proxied connection: the client's socket, ours to the server, and a direction each way.
struct Connection {
  FileDescriptor client;
  FileDescriptor server;
  Clock::time_point accepted;
  Direction up;               // client -> server
  Direction down;             // server -> client
  uint32_t client_events = 0; // what epoll watches on each socket now; 0: not in the epoll set
  uint32_t server_events = 0;
  bool broken = false; // a write failed: dropped without passing on what is queued
};

// What an epoll event is for: the listener, the signals, or one end of a connection.
struct Tag {
  enum class Kind { listener, signals, client, server } kind;
  Connection *connection = nullptr;
};

class Proxy {
public:
  Proxy(std::chrono::microseconds rtt, sockaddr_in target, FileDescriptor listener, FileDescriptor signals)
      : m_rtt(rtt), m_target(target), m_listener(std::move(listener)), m_signals(std::move(signals)),
        m_epoll(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!m_epoll.is_open()) fail("epoll_create1");
    watch(m_listener.get(), EPOLLIN, &m_listener_tag);
    watch(m_signals.get(), EPOLLIN, &m_signals_tag);
  }

  // Serves until SIGTERM or SIGINT.
  void run() {
    while (!m_stopping) {
      deliver_due(Clock::now());
      // Closed as soon as both directions are done, so the server sees the end at once; never
      // while a batch of events is handled, since a later event may point at the connection.
      m_entries.remove_if([](const Entry &entry) { return finished(entry.connection); });
      for (Entry &entry : m_entries)
        update_interest(entry);
      wait(next_due());
    }
  }

private:
  // A connection and the two epoll tags that point back at it; in a std::list so they stay put.
  struct Entry {
    Connection connection;
    Tag client_tag{Tag::Kind::client, nullptr};
    Tag server_tag{Tag::Kind::server, nullptr};
  };

  void watch(int fd, uint32_t events, Tag *tag) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = tag;
    if (::epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0) fail("epoll_ctl");
  }

  // A socket that needs nothing leaves the set: epoll reports a hang-up whatever it is asked
  // for, and a socket that is done reading would report it on every wait until the other
  // direction is done too.
  void rewatch(int fd, uint32_t &current, uint32_t wanted, Tag *tag) {
    if (current == wanted) return;
    epoll_event event{};
    event.events = wanted;
    event.data.ptr = tag;
    const int operation = wanted == 0 ? EPOLL_CTL_DEL : current == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (::epoll_ctl(m_epoll.get(), operation, fd, &event) != 0) fail("epoll_ctl");
    current = wanted;
  }

  // Waits for events until `deadline` (none: until an event), and handles them.
  void wait(std::optional<Clock::time_point> deadline) {
    epoll_event events[64];
    timespec timeout{};
    if (deadline) {
      const auto left = std::max(Clock::duration::zero(), *deadline - Clock::now());
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timeout = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    }
    int ready = ::epoll_pwait2(m_epoll.get(), events, 64, deadline ? &timeout : nullptr, nullptr);
    if (ready < 0 && errno == ENOSYS) { // kernels before 5.11: milliseconds, rounded up
      const auto ms = deadline ? (timeout.tv_sec * 1000 + (timeout.tv_nsec + 999'999) / 1'000'000) : -1;
      ready = ::epoll_wait(m_epoll.get(), events, 64, static_cast<int>(ms));
    }
    if (ready < 0) {
      if (errno == EINTR) return;
      fail("epoll_wait");
    }
    const auto now = Clock::now();
    for (int i = 0; i < ready; ++i) {
      const Tag &tag = *static_cast<Tag *>(events[i].data.ptr);
      switch (tag.kind) {
      case Tag::Kind::listener: accept_all(now); break;
      case Tag::Kind::signals: take_signal(); break;
      case Tag::Kind::client: handle(*tag.connection, true, events[i].events, now); break;
      case Tag::Kind::server: handle(*tag.connection, false, events[i].events, now); break;
      }
    }
  }

  void take_signal() {
    signalfd_siginfo info{};
    if (::read(m_signals.get(), &info, sizeof info) != sizeof info) return;
    if (info.ssi_signo == SIGHUP) {
      std::cout << "connections " << m_accepted << " open=" << m_entries.size() << " up=" << m_bytes_up
                << " down=" << m_bytes_down << std::endl;
    } else {
      m_stopping = true;
    }
  }

  void accept_all(Clock::time_point now) {
    for (;;) {
      FileDescriptor client(::accept4(m_listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!client.is_open()) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        if (errno == ECONNABORTED) continue;
        fail("accept4");
      }
      // Not blocking: when the target's accept queue is full, Linux drops the SYN and a blocking
      // connect waits a second for the retry, with every other connection held up behind it.
      // Until it completes a send returns EAGAIN, which waits for EPOLLOUT like a full buffer;
      // a refusal shows up as an error on the first recv or send.
      FileDescriptor server(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (!server.is_open()) fail("socket");
      if (::connect(server.get(), reinterpret_cast<const sockaddr *>(&m_target), sizeof m_target) != 0 &&
          errno != EINPROGRESS) {
        std::cerr << "bench-delay-proxy: cannot connect to the target: " << std::strerror(errno) << "\n";
        continue; // the client sees its connection closed
      }
      // Each chunk goes out when due, whole: Nagle's algorithm would hold small ones back further.
      const int one = 1;
      ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ++m_accepted;
      Entry &entry = m_entries.emplace_back();
      Connection &c = entry.connection;
      c.client = std::move(client);
      c.server = std::move(server);
      c.accepted = now;
      entry.client_tag.connection = entry.server_tag.connection = &c;
      c.client_events = c.server_events = EPOLLIN;
      watch(c.client.get(), EPOLLIN, &entry.client_tag);
      watch(c.server.get(), EPOLLIN, &entry.server_tag);
    }
  }

  // When bytes read now from one end are due at the other. The client's first bytes wait for
  // the handshake it would have waited for on a real wire: sent at `accepted + RTT`, they arrive
  // half an RTT later.
  Clock::time_point due(const Connection &c, bool from_client, Clock::time_point now) const {
    const auto sent = from_client ? std::max(now, c.accepted + m_rtt) : now;
    return sent + m_rtt / 2;
  }

  void handle(Connection &c, bool client_side, uint32_t events, Clock::time_point now) {
    if (c.broken) return;
    Direction &out = client_side ? c.up : c.down; // read from this socket
    Direction &in = client_side ? c.down : c.up;  // written to it
    // A hang-up or an error also ends a wait to write: the next send says what happened.
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) in.blocked = false;
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || out.source_done || out.queued >= kMaxQueued) return;
    const int fd = (client_side ? c.client : c.server).get();
    char buffer[kReadSize];
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      got = 0; // a reset ends the stream like a FIN, after what was already received
    }
    if (got == 0) out.source_done = true;
    out.chunks.push_back({due(c, client_side, now), std::string(buffer, static_cast<std::size_t>(got))});
    out.queued += static_cast<std::size_t>(got);
  }

  // Writes every chunk that is due, as far as the sockets take them.
  void deliver_due(Clock::time_point now) {
    for (Entry &entry : m_entries) {
      Connection &c = entry.connection;
      if (!c.broken) deliver(c, c.up, c.server.get(), now, m_bytes_up);
      if (!c.broken) deliver(c, c.down, c.client.get(), now, m_bytes_down);
    }
  }

  void deliver(Connection &c, Direction &d, int sink, Clock::time_point now, unsigned long long &counter) {
    while (!d.blocked && !d.sink_done && !d.chunks.empty() && d.chunks.front().due <= now) {
      Direction::Chunk &chunk = d.chunks.front();
      if (chunk.bytes.empty()) {
        ::shutdown(sink, SHUT_WR);
        d.sink_done = true;
        d.chunks.pop_front();
        return;
      }
      const ssize_t wrote = ::send(sink, chunk.bytes.data() + d.sent, chunk.bytes.size() - d.sent, MSG_NOSIGNAL);
      if (wrote < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          d.blocked = true;
        else if (errno != EINTR)
          c.broken = true;
        return;
      }
      d.sent += static_cast<std::size_t>(wrote);
      counter += static_cast<unsigned long long>(wrote);
      if (d.sent < chunk.bytes.size()) continue;
      d.queued -= chunk.bytes.size();
      d.sent = 0;
      d.chunks.pop_front();
    }
  }

  static bool finished(const Connection &c) { return c.broken || (c.up.sink_done && c.down.sink_done); }

  // Reads from a socket unless its direction is done or full; waits to write when blocked.
  void update_interest(Entry &entry) {
    Connection &c = entry.connection;
    const auto wanted = [](const Direction &from, const Direction &to) {
      return (from.source_done || from.queued >= kMaxQueued ? 0U : uint32_t{EPOLLIN}) |
             (to.blocked ? uint32_t{EPOLLOUT} : 0U);
    };
    rewatch(c.client.get(), c.client_events, wanted(c.up, c.down), &entry.client_tag);
    rewatch(c.server.get(), c.server_events, wanted(c.down, c.up), &entry.server_tag);
  }

  // The earliest time a chunk is due on a socket that can take it.
  std::optional<Clock::time_point> next_due() const {
    std::optional<Clock::time_point> next;
    for (const Entry &entry : m_entries) {
      for (const Direction *d : {&entry.connection.up, &entry.connection.down}) {
        if (d->blocked || d->sink_done || d->chunks.empty()) continue;
        if (!next || d->chunks.front().due < *next) next = d->chunks.front().due;
      }
    }
    return next;
  }

  std::chrono::microseconds m_rtt;
  sockaddr_in m_target;
  FileDescriptor m_listener;
  FileDescriptor m_signals;
  FileDescriptor m_epoll;
  Tag m_listener_tag{Tag::Kind::listener, nullptr};
  Tag m_signals_tag{Tag::Kind::signals, nullptr};
  std::list<Entry> m_entries;
  unsigned long long m_accepted = 0;
  unsigned long long m_bytes_up = 0;
  unsigned long long m_bytes_down = 0;
  bool m_stopping = false;
};

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

} // namespace

int main(int argc, char **argv) try {
  CLI::App app{"bench-delay-proxy: forwards 127.0.0.1:PORT to a target port with a round-trip time added"};
  int target_port = 0;
  int listen_port = 0;
  double rtt_ms = 30;
  app.add_option("--target-port", target_port, "Port on 127.0.0.1 to forward to")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--listen-port", listen_port, "Port to listen on (0: any free one)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--rtt-ms", rtt_ms, "Round-trip time to add, in milliseconds")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  for (const int signal : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&signals, signal);
  if (::sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) fail("sigprocmask");
  FileDescriptor signal_fd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd.is_open()) fail("signalfd");

  FileDescriptor listener(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener.is_open()) fail("socket");
  const int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in address = loopback(listen_port);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) fail("bind");
  if (::listen(listener.get(), SOMAXCONN) != 0) fail("listen");
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr *>(&bound), &length) != 0) fail("getsockname");
  std::cout << ntohs(bound.sin_port) << std::endl;

  const auto rtt = std::chrono::microseconds(static_cast<long long>(rtt_ms * 1000));
  Proxy(rtt, loopback(target_port), std::move(listener), std::move(signal_fd)).run();
  return 0;
} catch (const std::exception &error) { // only std::bad_alloc, in practice
  std::cerr << "bench-delay-proxy: " << error.what() << "\n";
  return 1;
}
