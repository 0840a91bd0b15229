#pragma once

#include <filesystem>
#include <string>

// The parts of a push that only the files of publish/ share.
namespace tasksync::publish_detail {

/// How a remote is reached.
enum class Transport { local, ssh, http, other };

/// repo.push.remote taken apart: how to reach it and how to name it in messages.
struct RemoteUrl {
  std::string url;     // as configured
  std::string display; // without credentials
  std::string secret;  // a password in the URL's user info, to keep out of messages
  Transport transport = Transport::other;
  std::filesystem::path path; // local remotes
  std::string scheme;         // lower-cased ("ssh" for scp-like remotes); empty for local ones
  std::string host;           // ssh and http remotes: the host's name or address (IPv6 without brackets)
  int port = 22;              // explicit, or the scheme's default (ssh 22, http 80, https 443, git 9418)
};

// Takes repo.push.remote apart: a URL with a scheme in any case (file, ssh, ssh+git, git+ssh,
// http, https, ...), "user@host:path" (scp-like, which is ssh), or else a path.
RemoteUrl parse_remote(const std::string &remote);

// True when the remote's credentials are the token in repo.push.token_file (http and https).
bool uses_token(const RemoteUrl &remote);

// True for a plain http:// remote whose host is not loopback (as api.base_url judges it): a token
// sent there would cross the network in clear text.
bool is_clear_text_off_host(const RemoteUrl &remote);

// "host:port", an IPv6 address in brackets: where a connection goes, for messages.
std::string host_and_port(const std::string &host, const std::string &port);

// How known_hosts names an ssh remote's host: "name", or "[name]:port" off port 22.
std::string known_hosts_name(const RemoteUrl &remote);

} // namespace tasksync::publish_detail
