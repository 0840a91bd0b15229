#pragma once

#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include "base/result.hpp"
#include "config/config.hpp"

namespace tasksync {

// The certificates an HTTPS client trusts: the system's (OpenSSL's default paths, so
// SSL_CERT_FILE and SSL_CERT_DIR count) plus api.ca_file. Loaded once and shared by every client
// of a run: OpenSSL 3 takes ~40 ms of CPU to parse Debian's CA bundle, which cpp-httplib would
// otherwise do again for each client on its first handshake.
class TrustStore {
public:
  // Loads the store for `settings`; fails when api.ca_file holds no certificate OpenSSL can load.
  static Result<std::shared_ptr<const TrustStore>> load(const ApiSettings &settings);
  ~TrustStore();
  TrustStore(const TrustStore &) = delete;
  TrustStore &operator=(const TrustStore &) = delete;

  // The store, for SSL_CTX_set1_cert_store (which takes a reference of its own).
  X509_STORE *store() const { return m_store; }
  // The certificate directories the store already searches (colon-separated, as SSL_CERT_DIR).
  const std::string &directories() const { return m_directories; }

private:
  TrustStore(X509_STORE *store, std::string directories);
  X509_STORE *m_store;
  std::string m_directories;
};

} // namespace tasksync
