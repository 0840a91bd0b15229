#include "publish/network_bound.hpp"

#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "base/file_descriptor.hpp"
#include "base/git_handles.hpp"
#include "base/text.hpp"
#include "publish/remote_url.hpp"

namespace tasksync::publish_detail {
namespace {

thread_local NetworkBound *t_current = nullptr;

// libgit2 1.5.1's git_socket_stream (src/libgit2/streams/socket.h; the same through 1.9). Its
// ssh transport takes every standard stream for one (transports/ssh.c, _git_ssh_session_create:
// GIT_CONTAINER_OF(io, git_socket_stream, parent)) and hands `s` to libssh2, so a stream
// registered as GIT_STREAM_STANDARD must begin with exactly this. The ssh push tests show it
// does: libssh2 talks over `s`, and the bound's shutdown of `s` ends its waits.
struct Libgit2SocketStream {
  git_stream parent;
  char *host;
  char *port;
  int s; // GIT_SOCKET off Windows; -1 (INVALID_SOCKET) while not connected
};
static_assert(LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR == 5,
              "check Libgit2SocketStream against this libgit2's src/libgit2/streams/socket.h and transports/ssh.c");
static_assert(std::is_standard_layout_v<Libgit2SocketStream> && offsetof(Libgit2SocketStream, parent) == 0 &&
              offsetof(Libgit2SocketStream, s) == sizeof(git_stream) + 2 * sizeof(char *));

struct AddrInfoFree {
  void operator()(addrinfo *info) const { ::freeaddrinfo(info); }
};

} // namespace

// The stream libgit2 gets for each socket while tasksync is registered: a socket stream whose
// every wait (connect, read, write) ends at its bound. Each function runs on the thread that
// called libgit2, under that thread's NetworkBound, and lets no exception out.
struct BoundedSocket {
  Libgit2SocketStream socket; // first: libgit2 holds a BoundedSocket as a git_stream *
  FileDescriptor fd;          // socket.s, owned

  enum class Wait { ready, ended, failed };

  static int create(git_stream **out, const char *host, const char *port) noexcept {
    auto *stream = new (std::nothrow) BoundedSocket{};
    if (!stream) {
      git_error_set_oom();
      return -1;
    }
    stream->socket.parent.version = GIT_STREAM_VERSION;
    stream->socket.parent.connect = &BoundedSocket::connect;
    stream->socket.parent.read = &BoundedSocket::read;
    stream->socket.parent.write = &BoundedSocket::write;
    stream->socket.parent.close = &BoundedSocket::close;
    stream->socket.parent.free = &BoundedSocket::free;
    stream->socket.host = ::strdup(host);
    stream->socket.port = ::strdup(port);
    stream->socket.s = -1;
    if (!stream->socket.host || !stream->socket.port) {
      free(&stream->socket.parent);
      git_error_set_oom();
      return -1;
    }
    *out = &stream->socket.parent;
    return 0;
  }

  static BoundedSocket &of(git_stream *stream) { return *reinterpret_cast<BoundedSocket *>(stream); }

  // Runs `body`; an exception (only bad_alloc can come) becomes libgit2's out-of-memory error.
  template <typename Body> static auto guarded(Body body) noexcept -> decltype(body()) {
    try {
      return body();
    } catch (...) {
      git_error_set_oom();
      return -1;
    }
  }

  static int fail(const std::string &message) {
    git_error_set_str(GIT_ERROR_NET, message.c_str());
    return -1;
  }

  std::string origin() const { return host_and_port(socket.host, socket.port); }

  // The bound in force, or a failure saying there is none (a connection outside a push).
  static NetworkBound *bound_or_fail() {
    NetworkBound *bound = NetworkBound::current();
    if (!bound) fail("tasksync opens no connection outside a push's time bound");
    return bound;
  }

  static int ended(const NetworkBound &bound) {
    switch (bound.end()) {
    case BoundEnd::timed_out: return fail("no answer within " + std::to_string(bound.limit().count()) + " s");
    case BoundEnd::stopped: return fail("stopped: tasksyncd is stopping");
    default: return fail("the push ended");
    }
  }

  // Waits until the socket is ready for `events`, the bound ends, or its deadline passes (which
  // ends the bound, should its watchdog not have yet).
  Wait wait(NetworkBound &bound, short events) const {
    for (;;) {
      if (bound.end() != BoundEnd::none) return Wait::ended;
      const auto left = bound.m_deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        bound.finish(BoundEnd::timed_out);
        return Wait::ended;
      }
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      pollfd ready{fd.get(), events, 0};
      const int rc = ::poll(&ready, 1, static_cast<int>(std::min<long long>(ms, INT_MAX)));
      if (rc < 0 && errno != EINTR) return Wait::failed;
      if (rc > 0) return bound.end() != BoundEnd::none ? Wait::ended : Wait::ready;
    }
  }

  static int connect(git_stream *stream) noexcept {
    return guarded([&] { return of(stream).open(); });
  }

  int open() {
    NetworkBound *bound = bound_or_fail();
    if (!bound) return -1;
    if (!bound->admits(socket.host, socket.port)) {
      bound->finish(BoundEnd::elsewhere, origin());
      return fail("tasksync connects only to the remote's own host and port, not to " + origin());
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    if (const int rc = ::getaddrinfo(socket.host, socket.port, &hints, &found); rc != 0) {
      return fail("cannot resolve " + std::string(socket.host) + ": " + ::gai_strerror(rc));
    }
    const std::unique_ptr<addrinfo, AddrInfoFree> addresses(found);
    std::string why = "no address";
    for (const addrinfo *address = found; address; address = address->ai_next) {
      fd = FileDescriptor(
          ::socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, address->ai_protocol));
      if (!fd.is_open()) {
        why = std::strerror(errno);
        continue;
      }
      if (!bound->hold(fd.get())) {
        fd.close();
        return ended(*bound);
      }
      int error = 0;
      if (::connect(fd.get(), address->ai_addr, address->ai_addrlen) != 0) error = errno;
      if (error == EINPROGRESS) {
        const Wait waited = wait(*bound, POLLOUT);
        if (waited == Wait::ended) {
          drop(*bound);
          return ended(*bound);
        }
        socklen_t length = sizeof error;
        if (waited == Wait::failed) {
          error = errno;
        } else if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
          error = errno;
        }
      }
      if (error == 0) {
        socket.s = fd.get();
        return 0;
      }
      why = std::strerror(error);
      drop(*bound);
    }
    return fail("cannot connect to " + origin() + ": " + why);
  }

  static ssize_t read(git_stream *stream, void *data, std::size_t length) noexcept {
    return guarded([&]() -> ssize_t {
      return of(stream).transfer(
          POLLIN, [&](int socket_fd) { return ::recv(socket_fd, data, length, 0); }, "receiving data from ");
    });
  }

  static ssize_t write(git_stream *stream, const char *data, std::size_t length, int flags) noexcept {
    return guarded([&]() -> ssize_t {
      return of(stream).transfer(
          POLLOUT, [&](int socket_fd) { return ::send(socket_fd, data, length, flags | MSG_NOSIGNAL); },
          "sending data to ");
    });
  }

  template <typename Io> ssize_t transfer(short events, Io io, const char *what) {
    NetworkBound *bound = bound_or_fail();
    if (!bound) return -1;
    for (;;) {
      if (bound->end() != BoundEnd::none) return ended(*bound);
      const ssize_t done = io(fd.get());
      if (done >= 0) return done;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return fail(std::string("error ") + what + origin() + ": " + std::strerror(errno));
      const Wait waited = wait(*bound, events);
      if (waited == Wait::ended) return ended(*bound);
      if (waited == Wait::failed) return fail(std::string("error ") + what + origin() + ": " + std::strerror(errno));
    }
  }

  // Lets go of the socket and closes it.
  void drop(NetworkBound &bound) {
    bound.release(fd.get());
    fd.close();
    socket.s = -1;
  }

  static int close(git_stream *stream) noexcept {
    BoundedSocket &self = of(stream);
    if (NetworkBound *bound = NetworkBound::current()) bound->release(self.fd.get());
    self.socket.s = -1;
    return self.fd.close();
  }

  static void free(git_stream *stream) noexcept {
    BoundedSocket *self = &of(stream);
    if (self->fd.is_open()) close(stream);
    std::free(self->socket.host);
    std::free(self->socket.port);
    delete self;
  }
};
static_assert(std::is_standard_layout_v<BoundedSocket> && offsetof(BoundedSocket, socket) == 0);

Result<std::unique_ptr<NetworkBound>> NetworkBound::start(std::string host, int port, std::chrono::seconds limit,
                                                          std::stop_token stop) {
  static const int registered = [] {
    ensure_libgit2();
    git_stream_registration registration{GIT_STREAM_VERSION, &BoundedSocket::create, nullptr};
    return git_stream_register(GIT_STREAM_STANDARD, &registration);
  }();
  if (registered < 0) return Error{"cannot give libgit2 a time-bounded socket: " + git_error_text(registered)};
  return std::unique_ptr<NetworkBound>(new NetworkBound(std::move(host), port, limit, std::move(stop)));
}

NetworkBound::NetworkBound(std::string host, int port, std::chrono::seconds limit, std::stop_token stop)
    : m_host(std::move(host)), m_port(port), m_limit(limit), m_deadline(std::chrono::steady_clock::now() + limit),
      m_watchdog([this] { finish(BoundEnd::timed_out); }), m_armed(m_watchdog.arm(m_deadline)),
      m_on_stop(std::move(stop), [this] { finish(BoundEnd::stopped); }) {
  m_outer = std::exchange(t_current, this);
}

NetworkBound::~NetworkBound() { t_current = m_outer; }

NetworkBound *NetworkBound::current() { return t_current; }

BoundEnd NetworkBound::end() const {
  std::lock_guard lock(m_mutex);
  return m_end;
}

std::string NetworkBound::refused() const {
  std::lock_guard lock(m_mutex);
  return m_refused;
}

bool NetworkBound::admits(const std::string &host, const std::string &port) const {
  return ascii_lower(host) == ascii_lower(m_host) && port == std::to_string(m_port);
}

void NetworkBound::finish(BoundEnd why, const std::string &refused) {
  std::lock_guard lock(m_mutex);
  if (m_end != BoundEnd::none) return;
  m_end = why;
  m_refused = refused;
  // Shut down, not closed: each descriptor stays its stream's until libgit2 closes it, and a wait
  // on it (in our poll() or libssh2's, on the pushing thread) ends at once.
  for (const int fd : m_sockets)
    ::shutdown(fd, SHUT_RDWR);
}

bool NetworkBound::hold(int fd) {
  std::lock_guard lock(m_mutex);
  if (m_end != BoundEnd::none) return false;
  m_sockets.push_back(fd);
  return true;
}

void NetworkBound::release(int fd) {
  std::lock_guard lock(m_mutex);
  m_sockets.erase(std::remove(m_sockets.begin(), m_sockets.end(), fd), m_sockets.end());
}

} // namespace tasksync::publish_detail
