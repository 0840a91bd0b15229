#include "base/hex.hpp"

#include <string_view>

namespace tasksync {

void append_hex(std::string &out, std::span<const unsigned char> bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  for (const unsigned char byte : bytes) {
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
  }
}

} // namespace tasksync
