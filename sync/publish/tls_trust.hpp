#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// Verifies a TLS server's certificate (DER, as libgit2 hands it to its certificate callback) for
// `host` (a name, or an IPv4/IPv6 address) against the CA certificates in `ca_file`: the chain,
// the dates, the server purpose and the name. Intermediate CAs must be in `ca_file` too: libgit2
// gives the callback the server's own certificate only.
Result<void> verify_with_ca_file(std::string_view der, const std::string &host, const std::filesystem::path &ca_file);

} // namespace tasksync
