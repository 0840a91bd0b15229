#include "base/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <memory>

namespace tasksync {
namespace {

using DecodeContext = std::unique_ptr<EVP_ENCODE_CTX, decltype(&EVP_ENCODE_CTX_free)>;

// The standard alphabet, padding and whitespace (a table: this runs over every byte of code).
constexpr std::array<bool, 256> kAllowed = [] {
  std::array<bool, 256> allowed{};
  for (const char *c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\n\r\v\f"; *c; ++c) {
    allowed[static_cast<unsigned char>(*c)] = true;
  }
  return allowed;
}();

} // namespace

Result<std::string> decode_base64(std::string_view text) {
  // EVP's decoder treats '-' as end of data and would silently drop what follows it;
  // the API sends the standard alphabet, so anything else is an error.
  const auto bad = std::find_if(text.begin(), text.end(), [](unsigned char c) { return !kAllowed[c]; });
  if (bad != text.end()) {
    return Error{"invalid base64: unexpected character at offset " + std::to_string(bad - text.begin())};
  }
  DecodeContext ctx(EVP_ENCODE_CTX_new(), &EVP_ENCODE_CTX_free);
  if (!ctx) return Error{"out of memory while decoding base64"};
  EVP_DecodeInit(ctx.get());
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t written = 0;
  constexpr std::size_t kChunk = 1 << 20; // EVP takes int lengths
  for (std::size_t offset = 0; offset < text.size(); offset += kChunk) {
    const int length = static_cast<int>(std::min(kChunk, text.size() - offset));
    int produced = 0;
    const auto *in = reinterpret_cast<const unsigned char *>(text.data() + offset);
    if (EVP_DecodeUpdate(ctx.get(), reinterpret_cast<unsigned char *>(out.data() + written), &produced, in, length) <
        0) {
      return Error{"invalid base64"};
    }
    written += static_cast<std::size_t>(produced);
  }
  int produced = 0;
  if (EVP_DecodeFinal(ctx.get(), reinterpret_cast<unsigned char *>(out.data() + written), &produced) < 0) {
    return Error{"invalid base64: truncated input"};
  }
  written += static_cast<std::size_t>(produced);
  out.resize(written);
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  std::size_t written = 0;
  constexpr std::size_t kChunk = 3 << 18; // a multiple of 3, so that no padding falls inside
  for (std::size_t offset = 0; offset < bytes.size(); offset += kChunk) {
    const int length = static_cast<int>(std::min(kChunk, bytes.size() - offset));
    written += static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data() + written),
                                                        reinterpret_cast<const unsigned char *>(bytes.data() + offset),
                                                        length));
  }
  out.resize(written);
  return out;
}

} // namespace tasksync
