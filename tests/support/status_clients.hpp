#pragma once

// Clients of the status server for tests: raw TCP ones that misbehave (idle, slow, flooding),
// below what httplib::Client would let a test do, and a /healthz request held to a deadline.
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/file_descriptor.hpp"

namespace tasksync::test {

// A connection to 127.0.0.1:`port`. Blocking: returns once the server's kernel has queued it
// (open() false when refused). Non-blocking: returns at once, the handshake still under way.
inline FileDescriptor connect_raw(int port, bool nonblocking = false) {
  FileDescriptor socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0 &&
      !(nonblocking && errno == EINPROGRESS)) {
    socket.close();
  }
  return socket;
}

// Sends `bytes` without waiting and without SIGPIPE; false when the peer is gone.
inline bool send_raw(const FileDescriptor &socket, std::string_view bytes) {
  return ::send(socket.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0 || errno == EAGAIN;
}

// What arrives on `socket` until it holds `end` or `timeout` passes (whatever came by then).
inline std::string receive_until(const FileDescriptor &socket, std::string_view end,
                                 std::chrono::milliseconds timeout) {
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received.find(end) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd readable{socket.get(), POLLIN, 0};
    if (::poll(&readable, 1, 20) <= 0) continue;
    char buffer[512];
    const ssize_t got = ::recv(socket.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (got == 0) break;
    if (got > 0) received.append(buffer, static_cast<std::size_t>(got));
  }
  return received;
}

// True once the server has closed (FIN or reset) or refused the connection; false while it is
// open or still connecting. Reads nothing.
inline bool closed_by_peer(const FileDescriptor &socket) {
  char byte;
  const ssize_t length = ::recv(socket.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (length == 0) return true;
  if (length > 0) return false;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN && errno != EINTR;
}

// How many file descriptors process `pid` ("self": this one) has open.
inline int open_descriptors(const std::string &pid = "self") {
  int count = 0;
  for ([[maybe_unused]] const auto &entry : std::filesystem::directory_iterator("/proc/" + pid + "/fd"))
    ++count;
  return count;
}

// The status of GET /healthz on 127.0.0.1:`port` (0: no answer) and how long the whole request took.
struct TimedAnswer {
  int status = 0;
  std::chrono::milliseconds took{};
};

// GET /healthz with a client that gives up after `timeout` (connecting, each read and each write).
inline TimedAnswer get_health(int port, std::chrono::seconds timeout = std::chrono::seconds(1)) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  const auto start = std::chrono::steady_clock::now();
  const auto answer = client.Get("/healthz");
  return {answer ? answer->status : 0,
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

} // namespace tasksync::test
