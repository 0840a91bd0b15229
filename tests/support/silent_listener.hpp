#pragma once

// A loopback TCP port that takes connections and never answers, for attacks below HTTP.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "base/file_descriptor.hpp"

namespace tasksync::test {

// Listens on 127.0.0.1 and never accepts: the kernel completes each client's handshake and
// queues what it sends, so its connect succeeds and every read waits for good.
class SilentListener {
public:
  SilentListener() : m_socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(m_socket.get(), reinterpret_cast<const sockaddr *>(&address), length) != 0 ||
        ::listen(m_socket.get(), 64) != 0 ||
        ::getsockname(m_socket.get(), reinterpret_cast<sockaddr *>(&address), &length) != 0) {
      m_socket.close();
      return;
    }
    m_port = ntohs(address.sin_port);
  }

  // The port (0 when it could not listen).
  int port() const { return m_port; }
  // True once a client has connected (its connection waits, never accepted).
  bool connected_to() const {
    pollfd waiting{m_socket.get(), POLLIN, 0};
    return ::poll(&waiting, 1, 0) > 0;
  }

private:
  FileDescriptor m_socket;
  int m_port = 0;
};

} // namespace tasksync::test
