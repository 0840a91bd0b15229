#pragma once

#include <sys/socket.h>

#include <string>

#include "base/file_descriptor.hpp"
#include "base/result.hpp"

namespace tasksync::http {

// "host:port", with an IPv6 host in brackets: how the listener names where it listens.
std::string endpoint_name(const std::string &host, int port);

// A non-blocking socket listening on `host`:`port` (numeric or a name), which `where` names in the
// error: "cannot listen on <where>: <reason>".
Result<FileDescriptor> listen_on(const std::string &host, int port, const std::string &where);

// The numeric host of `address` ("" when unreadable), and its port in `port` (0 then).
std::string numeric_host(const sockaddr_storage &address, socklen_t length, int &port);

} // namespace tasksync::http
