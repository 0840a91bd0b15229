#include "base/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <optional>

namespace tasksync {
namespace {

using DecodeContext = std::unique_ptr<EVP_ENCODE_CTX, decltype(&EVP_ENCODE_CTX_free)>;

// What each byte is to the decoder (a table: this runs over every byte of code).
enum class Kind : unsigned char { invalid, alphabet, padding, whitespace };

constexpr std::array<Kind, 256> kKinds = [] {
  std::array<Kind, 256> kinds{};
  for (const char *c = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; *c; ++c) {
    kinds[static_cast<unsigned char>(*c)] = Kind::alphabet;
  }
  kinds['='] = Kind::padding;
  for (const char *c = " \t\n\r\v\f"; *c; ++c) {
    kinds[static_cast<unsigned char>(*c)] = Kind::whitespace;
  }
  return kinds;
}();

// Text that is whole groups of 4 alphabet characters, the last one or two of the last group
// possibly '=', decoded by EVP_DecodeBlock in one call (five times EVP_DecodeUpdate's speed), or
// none: anything else (whitespace, a missing '=', a byte outside the alphabet) takes the general
// path below, which accepts or names it. The ends are checked here because EVP_DecodeBlock would
// skip whitespace, '-' and line breaks there, and '=' because it reads one inside as "A".
std::optional<std::string> decode_whole_groups(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > std::numeric_limits<int>::max()) return std::nullopt;
  const auto kind = [](char c) { return kKinds[static_cast<unsigned char>(c)]; };
  if (kind(text.front()) != Kind::alphabet || kind(text.back()) == Kind::invalid ||
      kind(text.back()) == Kind::whitespace) {
    return std::nullopt;
  }
  const std::size_t pads = text.size() - text.find_last_not_of('=') - 1;
  if (pads > 2 || text.find('=') < text.size() - pads) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int written =
      EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                      reinterpret_cast<const unsigned char *>(text.data()), static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(written) - pads);
  return out;
}

} // namespace

Result<std::string> decode_base64(std::string_view text) {
  if (auto decoded = decode_whole_groups(text)) return std::move(*decoded);
  // EVP's decoder treats '-' as end of data and would silently drop what follows it;
  // the API sends the standard alphabet, so anything else is an error.
  std::size_t characters = 0;
  std::size_t pads = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (kKinds[static_cast<unsigned char>(text[i])]) {
    case Kind::invalid: return Error{"invalid base64: unexpected character at offset " + std::to_string(i)};
    case Kind::alphabet: ++characters; break;
    case Kind::padding: ++pads; break;
    case Kind::whitespace: break;
    }
  }
  // Each 4 characters hold 3 bytes; a last group of 2 or 3 holds 1 or 2, and the '=' that round it
  // up to 4 are optional (the vendor's write schemas accept base64 without them). A last group of
  // 1 holds no whole byte: the text was cut.
  if (characters % 4 == 1) {
    return Error{"invalid base64: truncated input (" + std::to_string(characters) +
                 " characters: a last group of 1 holds no whole byte)"};
  }
  const std::size_t needed = (4 - characters % 4) % 4;
  if (pads > needed) {
    return Error{"invalid base64: " + std::to_string(pads) + " '=' of padding where " + std::to_string(needed) +
                 " fit"};
  }
  const std::string_view missing = std::string_view("==").substr(0, needed - pads);
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
  if (!missing.empty()) {
    const auto *in = reinterpret_cast<const unsigned char *>(missing.data());
    if (EVP_DecodeUpdate(ctx.get(), reinterpret_cast<unsigned char *>(out.data() + written), &produced, in,
                         static_cast<int>(missing.size())) < 0) {
      return Error{"invalid base64"};
    }
    written += static_cast<std::size_t>(produced);
  }
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
