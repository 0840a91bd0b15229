#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tasksync {

// Tells whether a key blob of a known_hosts line (base64-decoded) is the server's host key.
using HostKeyMatcher = std::function<bool(const std::string &blob)>;

// Matches the blob that is `key` itself (the raw key, as libgit2's GIT_CERT_SSH_RAW gives it).
HostKeyMatcher matches_key(std::string key);

// Matches the blob whose SHA-256 is `digest` (32 bytes), for a key known only by its hash.
HostKeyMatcher matches_key_sha256(std::string digest);

// Accepts an SSH host key only if no @revoked line of `files` holds it and either a file lists
// it for `host` ("name", or "[name]:port" off port 22) or `listed_elsewhere` (another reader of
// known_hosts, libgit2, found it listed for the host). Understands plain, wildcard and hashed
// (|1|salt|hmac) host patterns and @revoked lines; @cert-authority lines are ignored.
Result<void> check_host_key(const std::string &host, const HostKeyMatcher &matches,
                            const std::vector<std::filesystem::path> &files, bool listed_elsewhere = false);

// check_host_key() for the raw key blob `key` (as base64-encoded in the file).
Result<void> check_known_host(const std::string &host, std::string_view key,
                              const std::vector<std::filesystem::path> &files);

// True when a line of `files` (those that exist) names `host` ("name" or "[name]:port"), whatever
// the key.
bool is_host_listed(const std::string &host, const std::vector<std::filesystem::path> &files);

// The known_hosts files consulted for ssh remotes: `configured` (repo.push.known_hosts_file) when
// set, /etc/ssh/ssh_known_hosts, and $HOME/.ssh/known_hosts when HOME is set to something other
// than "/" (a dynamic user's home, where no such file is).
std::vector<std::filesystem::path> known_hosts_files(const std::optional<std::filesystem::path> &configured = {});

} // namespace tasksync
