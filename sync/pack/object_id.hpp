#pragma once

#include <git2.h>

#include <array>
#include <memory>
#include <string_view>

#include <openssl/evp.h>

namespace tasksync {

// SHA-1 over a sequence of byte ranges, with OpenSSL (several times faster than libgit2's
// collision-detecting SHA-1, which matters for trees of hundreds of kilobytes per commit).
class Sha1 {
public:
  Sha1();
  // Adds `bytes` to what is hashed.
  void update(std::string_view bytes);
  // The digest of everything added.
  std::array<unsigned char, GIT_OID_RAWSZ> finish();

private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> m_context;
};

// The id git gives an object of `type` with `content`: the SHA-1 of "<type> <size>\0<content>".
git_oid object_id(git_object_t type, std::string_view content);

} // namespace tasksync
