#include "pack/object_id.hpp"

#include <cstring>
#include <string>

namespace tasksync {

Sha1::Sha1() : m_context(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
  EVP_DigestInit_ex(m_context.get(), EVP_sha1(), nullptr);
}

void Sha1::update(std::string_view bytes) { EVP_DigestUpdate(m_context.get(), bytes.data(), bytes.size()); }

std::array<unsigned char, GIT_OID_RAWSZ> Sha1::finish() {
  std::array<unsigned char, GIT_OID_RAWSZ> digest{};
  EVP_DigestFinal_ex(m_context.get(), digest.data(), nullptr);
  return digest;
}

git_oid object_id(git_object_t type, std::string_view content) {
  const std::string header = std::string(git_object_type2string(type)) + " " + std::to_string(content.size());
  Sha1 sha;
  sha.update(std::string_view(header.c_str(), header.size() + 1)); // with its NUL
  sha.update(content);
  const auto digest = sha.finish();
  git_oid id;
  std::memcpy(id.id, digest.data(), digest.size());
  return id;
}

} // namespace tasksync
