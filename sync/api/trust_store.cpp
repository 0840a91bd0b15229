#include "api/trust_store.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdlib>

namespace tasksync {

TrustStore::TrustStore(X509_STORE *store, std::string directories)
    : m_store(store), m_directories(std::move(directories)) {}

TrustStore::~TrustStore() { X509_STORE_free(m_store); }

Result<std::shared_ptr<const TrustStore>> TrustStore::load(const ApiSettings &settings) {
  // The directories as X509_STORE_set_default_paths looks them up (crypto/x509/by_dir.c):
  // $SSL_CERT_DIR, else the built-in one.
  const char *variable = std::getenv(X509_get_default_cert_dir_env());
  std::string directories = variable != nullptr && *variable != '\0' ? variable : X509_get_default_cert_dir();
  std::shared_ptr<const TrustStore> trust(new TrustStore(X509_STORE_new(), std::move(directories)));
  if (trust->m_store == nullptr || X509_STORE_set_default_paths(trust->m_store) != 1) {
    return Error{"cannot load the system's CA certificates"};
  }
  if (settings.ca_file && X509_STORE_load_file(trust->m_store, settings.ca_file->c_str()) != 1) {
    ERR_clear_error();
    return Error{"api.ca_file: " + settings.ca_file->string() + " holds no PEM certificate that OpenSSL can load"};
  }
  return trust;
}

} // namespace tasksync
