#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tasksync {

// Why a delivery's Anchor-Signature was refused: what the log line and docs/operations.md name.
enum class SignatureProblem { missing_header, malformed_header, bad_signature, stale_timestamp, replay };

// "missing header", "malformed header", "bad signature", "stale timestamp" or "replay".
std::string_view to_string(SignatureProblem problem);

// An HMAC-SHA256 value.
using Mac = std::array<unsigned char, 32>;

/// An `Anchor-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]` header, parsed.
struct AnchorSignature {
  std::string timestamp_text;  // the digits of t= as sent: they are what was signed
  long long timestamp = 0;     // the same, in Unix seconds
  std::vector<Mac> candidates; // every well-formed v1= value (64 hex digits)
};

// Parses the header's value: comma-separated key=value parts (spaces around them allowed), t=
// exactly once as 1 to 12 decimal digits, and at least one v1= of 64 hex digits. Other v1=
// values and unknown keys (a v0= of the platform's, a later scheme) are skipped, so that a
// delivery signed under two secrets while one is rotated still passes. Nullopt: malformed.
std::optional<AnchorSignature> parse_anchor_signature(std::string_view header);

// HMAC-SHA256 with `secret` over "v0:<timestamp_text>:<body>", as the platform signs; nullopt
// only when OpenSSL cannot compute it (out of memory).
std::optional<Mac> anchor_signature_mac(std::string_view secret, std::string_view timestamp_text,
                                        std::string_view body);

// The checks of POST /webhooks/anchorbrowser's signature: an HMAC-SHA256 with one of the
// webhook's secrets (one, or two while it is rotated; every v1= compared with every secret, in
// constant time), a timestamp within `window` of now either way, and a signature not delivered
// before within that window (kept for as long as its timestamp is in the window, and at most
// kMaxRemembered of them). set_secrets() may be called from any thread; verify() from one thread
// at a time.
class WebhookSignatureCheck {
public:
  // The most signatures remembered for replay detection; the oldest go first beyond it.
  static constexpr std::size_t kMaxRemembered = 65536;

  explicit WebhookSignatureCheck(std::vector<std::string> secrets,
                                 std::chrono::seconds window = std::chrono::seconds(120));

  // Replaces the secrets (a reload read the file again).
  void set_secrets(std::vector<std::string> secrets);
  // Checks a delivery; `header` is nullopt when it carried no Anchor-Signature. `now` in Unix
  // seconds. On success the signature is remembered, so the same delivery again is a replay.
  Result<void, SignatureProblem> verify(std::optional<std::string_view> header, std::string_view body, long long now);

private:
  void forget_before(long long oldest);

  mutable std::mutex m_mutex; // guards m_secrets
  std::vector<std::string> m_secrets;
  std::chrono::seconds m_window;
  std::set<Mac> m_seen;                         // signatures accepted within the window
  std::multimap<long long, Mac> m_seen_by_time; // the same, by their timestamp
};

} // namespace tasksync
