#include "publish/remote_url.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "config/base_url.hpp"

namespace tasksync::publish_detail {
namespace {

// Git and libgit2 take "user@host:path" for ssh; anything else without a scheme is a path.
bool is_scp_like(const std::string &remote) {
  const std::size_t colon = remote.find(':');
  return colon != std::string::npos && colon > 0 && remote.find('/') > colon && remote[0] != '.';
}

int port_of(std::string_view host_port, int fallback) {
  const std::size_t bracket = host_port.rfind(']');
  const std::size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) return fallback;
  const std::string digits(host_port.substr(colon + 1));
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return fallback;
  }
  return std::atoi(digits.c_str());
}

std::string host_of(std::string_view host_port) {
  if (host_port.starts_with('[')) return std::string(host_port.substr(1, host_port.find(']') - 1));
  return std::string(host_port.substr(0, host_port.rfind(':')));
}

} // namespace

RemoteUrl parse_remote(const std::string &remote) {
  RemoteUrl result{remote, remote, {}, Transport::local, remote, {}, {}, 22};
  // Schemes in any case: libgit2 picks its transport case-insensitively (transport.c, strncasecmp).
  const auto parts = split_url(remote);
  if (!parts) {
    if (is_scp_like(remote)) {
      result.transport = Transport::ssh;
      result.scheme = "ssh";
      const std::string authority = remote.substr(0, remote.find(':'));
      result.host = authority.substr(authority.find('@') == std::string::npos ? 0 : authority.find('@') + 1);
    }
    return result;
  }
  if (parts->scheme == "file") {
    result.path = parts->rest; // file:///srv/x.git and file://localhost/srv/x.git
    return result;
  }
  result.scheme = parts->scheme;
  if (parts->scheme == "ssh" || parts->scheme == "ssh+git" || parts->scheme == "git+ssh") {
    result.transport = Transport::ssh;
    result.port = port_of(parts->host_port, 22);
  } else {
    result.transport = parts->scheme == "http" || parts->scheme == "https" ? Transport::http : Transport::other;
    result.port = port_of(parts->host_port, parts->scheme == "http"    ? 80
                                            : parts->scheme == "https" ? 443
                                            : parts->scheme == "git"   ? 9418
                                                                       : 0);
  }
  result.host = host_of(parts->host_port);
  if (parts->user_info) {
    const std::string &user_info = *parts->user_info;
    const std::size_t colon = user_info.find(':');
    if (colon != std::string::npos) result.secret = user_info.substr(colon + 1);
    // Over http a token may sit in the user name itself (https://TOKEN@host/...): drop it all.
    const std::string shown = result.transport == Transport::http ? "" : user_info.substr(0, colon) + "@";
    result.display = parts->scheme + "://" + shown + parts->host_port + parts->rest;
  }
  return result;
}

bool uses_token(const RemoteUrl &remote) { return remote.transport == Transport::http; }

bool is_clear_text_off_host(const RemoteUrl &remote) {
  return remote.scheme == "http" && !BaseUrl{remote.scheme, remote.host, remote.port, ""}.is_loopback();
}

std::string host_and_port(const std::string &host, const std::string &port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

std::string known_hosts_name(const RemoteUrl &remote) {
  return remote.port == 22 ? remote.host : "[" + remote.host + "]:" + std::to_string(remote.port);
}

} // namespace tasksync::publish_detail
