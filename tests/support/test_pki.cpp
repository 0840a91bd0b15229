#include "test_pki.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace tasksync::test {
namespace {

template <auto Free> struct Freer {
  template <class T> void operator()(T *handle) const { Free(handle); }
};
template <class T, auto Free> using Handle = std::unique_ptr<T, Freer<Free>>;
using Key = Handle<EVP_PKEY, EVP_PKEY_free>;
using Certificate = Handle<X509, X509_free>;
using Extension = Handle<X509_EXTENSION, X509_EXTENSION_free>;
using BigNumber = Handle<BIGNUM, BN_free>;
using File = Handle<BIO, BIO_free_all>;

void check(bool ok, const std::string &what) {
  if (ok) return;
  char reason[256] = "";
  ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
  throw std::runtime_error("make_test_pki: " + what + ": " + reason);
}

Key new_key() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  check(key != nullptr, "generating a P-256 key");
  return key;
}

Certificate new_certificate(const std::string &common_name, EVP_PKEY *key) {
  Certificate cert(X509_new());
  check(cert != nullptr, "X509_new");
  // A random serial, so that two test CAs never issue look-alike certificates.
  BigNumber serial(BN_new());
  check(serial && BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr,
        "serial number");
  X509_NAME *subject = X509_get_subject_name(cert.get());
  check(X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char *>(common_name.c_str()), -1, -1, 0) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600) != nullptr &&
            X509_set_pubkey(cert.get(), key) == 1,
        "certificate for " + common_name);
  return cert;
}

void add_extension(X509 *cert, X509 *issuer, int nid, const std::string &value) {
  X509V3_CTX context{};
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  check(extension && X509_add_ext(cert, extension.get(), -1) == 1, std::string(OBJ_nid2sn(nid)) + "=" + value);
}

void sign(X509 *cert, X509 *issuer, EVP_PKEY *issuer_key) {
  check(X509_set_issuer_name(cert, X509_get_subject_name(issuer)) == 1 && X509_sign(cert, issuer_key, EVP_sha256()) > 0,
        "signing");
}

std::string subject_alt_names(const std::vector<std::string> &names) {
  std::string list;
  for (const std::string &name : names) {
    unsigned char address[16];
    const bool is_ip =
        inet_pton(AF_INET, name.c_str(), address) == 1 || inet_pton(AF_INET6, name.c_str(), address) == 1;
    list += (list.empty() ? "" : ",") + std::string(is_ip ? "IP:" : "DNS:") + name;
  }
  return list;
}

void write_certificate(const std::filesystem::path &file, X509 *cert) {
  File out(BIO_new_file(file.c_str(), "w"));
  check(out && PEM_write_bio_X509(out.get(), cert) == 1, "writing " + file.string());
}

void write_key(const std::filesystem::path &file, EVP_PKEY *key) {
  File out(BIO_new_file(file.c_str(), "w"));
  check(out && PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "writing " + file.string());
}

} // namespace

TestPki make_test_pki(const std::filesystem::path &dir, const std::vector<std::string> &server_names) {
  std::filesystem::create_directories(dir);

  const Key ca_key = new_key();
  const Certificate ca = new_certificate("tasksync test CA", ca_key.get());
  add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  sign(ca.get(), ca.get(), ca_key.get());

  const Key server_key = new_key();
  const Certificate server = new_certificate("tasksync test server", server_key.get());
  add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  if (!server_names.empty())
    add_extension(server.get(), ca.get(), NID_subject_alt_name, subject_alt_names(server_names));
  add_extension(server.get(), ca.get(), NID_subject_key_identifier, "hash");
  add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  sign(server.get(), ca.get(), ca_key.get());

  TestPki pki{dir / "ca.pem", {dir / "server.pem", dir / "server-key.pem"}};
  write_certificate(pki.ca_file, ca.get());
  write_certificate(pki.server.cert_file, server.get());
  write_key(pki.server.key_file, server_key.get());
  return pki;
}

} // namespace tasksync::test
