#include "ops/http/sockets.hpp"

#include <netdb.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace tasksync::http {

std::string endpoint_name(const std::string &host, int port) {
  return (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + std::to_string(port);
}

Result<FileDescriptor> listen_on(const std::string &host, int port, const std::string &where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return Error{"cannot listen on " + where + ": " + ::gai_strerror(rc)};
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
  return Error{"cannot listen on " + where + ": " + reason};
}

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

} // namespace tasksync::http
