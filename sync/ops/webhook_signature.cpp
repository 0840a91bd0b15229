#include "ops/webhook_signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "base/text.hpp"

namespace tasksync {
namespace {

constexpr std::size_t kMostTimestampDigits = 12; // Unix seconds until the year 33658

std::optional<Mac> parse_mac(std::string_view hex) {
  Mac mac{};
  if (hex.size() != 2 * mac.size()) return std::nullopt;
  // No separator ('\0'): two hex digits per byte, anything else refused.
  std::size_t length = 0;
  if (OPENSSL_hexstr2buf_ex(mac.data(), mac.size(), &length, std::string(hex).c_str(), '\0') != 1 ||
      length != mac.size()) {
    ERR_clear_error(); // the refusal is ours to report, not a failure left for a later OpenSSL call
    return std::nullopt;
  }
  return mac;
}

struct MacFree {
  void operator()(EVP_MAC *mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX *context) const { EVP_MAC_CTX_free(context); }
};

} // namespace

std::string_view to_string(SignatureProblem problem) {
  switch (problem) {
  case SignatureProblem::missing_header: return "missing header";
  case SignatureProblem::malformed_header: return "malformed header";
  case SignatureProblem::bad_signature: return "bad signature";
  case SignatureProblem::stale_timestamp: return "stale timestamp";
  case SignatureProblem::replay: return "replay";
  }
  return "bad signature";
}

std::optional<AnchorSignature> parse_anchor_signature(std::string_view header) {
  AnchorSignature signature;
  bool has_timestamp = false;
  while (true) {
    const auto comma = header.find(',');
    const std::string_view part = trim_http_whitespace(header.substr(0, comma));
    const auto equals = part.find('=');
    if (equals != std::string_view::npos) {
      const std::string_view key = part.substr(0, equals);
      const std::string_view value = part.substr(equals + 1);
      if (key == "t") {
        if (has_timestamp || !is_decimal(value) || value.size() > kMostTimestampDigits) {
          return std::nullopt;
        }
        has_timestamp = true;
        signature.timestamp_text = std::string(value);
        signature.timestamp = std::stoll(signature.timestamp_text);
      } else if (key == "v1") {
        if (auto mac = parse_mac(value)) signature.candidates.push_back(*mac);
      }
    }
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  if (!has_timestamp || signature.candidates.empty()) return std::nullopt;
  return signature;
}

std::optional<Mac> anchor_signature_mac(std::string_view secret, std::string_view timestamp_text,
                                        std::string_view body) {
  Mac out{};
  // EVP_MAC rather than one HMAC() call: the signed text is fed in parts, never copied (a body
  // may be 1 MiB).
  const std::unique_ptr<EVP_MAC, MacFree> hmac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  const std::unique_ptr<EVP_MAC_CTX, MacFree> context(hmac ? EVP_MAC_CTX_new(hmac.get()) : nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM parameters[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                   OSSL_PARAM_construct_end()};
  std::size_t length = 0;
  // An empty key is valid for HMAC, but EVP_MAC_init reads a null pointer as "no new key".
  const unsigned char no_key = 0;
  const auto *key = secret.empty() ? &no_key : reinterpret_cast<const unsigned char *>(secret.data());
  const auto feed = [&](std::string_view part) {
    return EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char *>(part.data()), part.size()) == 1;
  };
  const bool done = context && EVP_MAC_init(context.get(), key, secret.size(), parameters) == 1 && feed("v0:") &&
                    feed(timestamp_text) && feed(":") && feed(body) &&
                    EVP_MAC_final(context.get(), out.data(), &length, out.size()) == 1 && length == out.size();
  if (!done) return std::nullopt;
  return out;
}

WebhookSignatureCheck::WebhookSignatureCheck(std::vector<std::string> secrets, std::chrono::seconds window)
    : m_secrets(std::move(secrets)), m_window(window) {}

void WebhookSignatureCheck::set_secrets(std::vector<std::string> secrets) {
  std::lock_guard lock(m_mutex);
  m_secrets = std::move(secrets);
}

void WebhookSignatureCheck::forget_before(long long oldest) {
  while (!m_seen_by_time.empty() && m_seen_by_time.begin()->first < oldest) {
    m_seen.erase(m_seen_by_time.begin()->second);
    m_seen_by_time.erase(m_seen_by_time.begin());
  }
}

Result<void, SignatureProblem> WebhookSignatureCheck::verify(std::optional<std::string_view> header,
                                                             std::string_view body, long long now) {
  if (!header) return SignatureProblem::missing_header;
  const auto signature = parse_anchor_signature(*header);
  if (!signature) return SignatureProblem::malformed_header;
  std::vector<std::string> secrets;
  {
    std::lock_guard lock(m_mutex);
    secrets = m_secrets;
  }
  std::vector<Mac> expected;
  for (const std::string &secret : secrets) {
    const std::optional<Mac> mac = anchor_signature_mac(secret, signature->timestamp_text, body);
    if (!mac) return SignatureProblem::bad_signature; // OpenSSL could not compute it (no memory)
    expected.push_back(*mac);
  }
  // Every candidate is compared with every secret's, matched or not, so the time taken says
  // nothing of which matched.
  std::vector<Mac> matched;
  for (const Mac &candidate : signature->candidates) {
    bool matches = false;
    for (const Mac &mac : expected) {
      if (CRYPTO_memcmp(candidate.data(), mac.data(), mac.size()) == 0) matches = true;
    }
    if (matches) matched.push_back(candidate);
  }
  if (matched.empty()) return SignatureProblem::bad_signature;
  // Checked once the signature is the platform's, so "stale" is never said of a forgery.
  const long long window = m_window.count();
  if (signature->timestamp < now - window || signature->timestamp > now + window) {
    return SignatureProblem::stale_timestamp;
  }
  forget_before(now - window);
  // Every matching v1= is remembered: the delivery again with one of its two v1= dropped, or
  // after a reload dropped one of the secrets, is still a replay.
  if (std::ranges::any_of(matched, [&](const Mac &mac) { return m_seen.count(mac) > 0; })) {
    return SignatureProblem::replay;
  }
  for (const Mac &mac : matched) {
    while (m_seen.size() >= kMaxRemembered)
      forget_before(m_seen_by_time.begin()->first + 1);
    if (m_seen.insert(mac).second) m_seen_by_time.emplace(signature->timestamp, mac);
  }
  return {};
}

} // namespace tasksync
