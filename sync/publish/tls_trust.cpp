#include "publish/tls_trust.hpp"

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <memory>

namespace tasksync {
namespace {

bool is_ip_address(const std::string &host) {
  unsigned char address[16];
  return ::inet_pton(AF_INET, host.c_str(), address) == 1 || ::inet_pton(AF_INET6, host.c_str(), address) == 1;
}

} // namespace

Result<void> verify_with_ca_file(std::string_view der, const std::string &host, const std::filesystem::path &ca_file) {
  const std::string name =
      host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  const auto *bytes = reinterpret_cast<const unsigned char *>(der.data());
  const std::unique_ptr<X509, decltype(&X509_free)> certificate(
      d2i_X509(nullptr, &bytes, static_cast<long>(der.size())), &X509_free);
  if (!certificate) return Error{"the server's certificate cannot be parsed"};
  const std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
    return Error{"cannot load the CA certificates in repo.push.ca_file " + ca_file.string()};
  }
  const std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                                &X509_STORE_CTX_free);
  if (!context || X509_STORE_CTX_init(context.get(), store.get(), certificate.get(), nullptr) != 1) {
    return Error{"cannot verify the server's certificate: out of memory"};
  }
  X509_VERIFY_PARAM *parameters = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_SERVER);
  const int named = is_ip_address(name) ? X509_VERIFY_PARAM_set1_ip_asc(parameters, name.c_str())
                                        : X509_VERIFY_PARAM_set1_host(parameters, name.c_str(), name.size());
  if (named != 1) return Error{"cannot verify the server's certificate for \"" + name + "\""};
  if (X509_verify_cert(context.get()) != 1) {
    return Error{"the TLS certificate of " + name +
                 " is trusted neither by the system's CA store nor by repo.push.ca_file " + ca_file.string() + ": " +
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get()))};
  }
  return {};
}

} // namespace tasksync
