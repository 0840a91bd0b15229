#include "ops/bearer_token.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace tasksync {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

// Comparing digests of equal length keeps the token's length out of the timing too.
Digest digest(std::string_view text) {
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char *>(text.data()), text.size(), out.data());
  return out;
}

} // namespace

BearerToken::BearerToken(std::string token) : m_token(std::move(token)) {}

void BearerToken::set(std::string token) {
  std::lock_guard lock(m_mutex);
  m_token = std::move(token);
}

bool BearerToken::accepts(std::string_view authorization) const {
  constexpr std::string_view scheme = "Bearer ";
  const bool has_scheme = authorization.substr(0, scheme.size()) == scheme;
  const Digest presented = digest(has_scheme ? authorization.substr(scheme.size()) : std::string_view());
  Digest expected;
  bool empty = false;
  {
    std::lock_guard lock(m_mutex);
    expected = digest(m_token);
    empty = m_token.empty();
  }
  return CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0 && has_scheme && !empty;
}

} // namespace tasksync
