#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "fake_api.hpp"

namespace tasksync::test {

// A throwaway certificate authority and a server identity it issued, as PEM files.
struct TestPki {
  std::filesystem::path ca_file; // the CA certificate, for clients to trust
  TlsIdentity server;            // the server's certificate and key, for FakeApi
};

// Creates in `dir` a self-signed CA and a server certificate it signs for `server_names` (DNS names, or IP
// addresses where they parse as one), valid from an hour ago until a day from now.
TestPki make_test_pki(const std::filesystem::path &dir,
                      const std::vector<std::string> &server_names = {"localhost", "127.0.0.1"});

} // namespace tasksync::test
