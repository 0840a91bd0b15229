#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tasksync {

// Reads SSH's wire encoding (RFC 4251 section 5) from a buffer: big-endian uint32s and strings
// with a uint32 length. Each read is nullopt when the buffer ends first.
class WireReader {
public:
  // Reads `data`, which must outlive the reader.
  explicit WireReader(std::string_view data) : m_data(data) {}
  // A uint32.
  std::optional<std::uint32_t> u32();
  // A string (its length, then that many bytes), without its length.
  std::optional<std::string_view> string();
  // The next `count` bytes as they are.
  std::optional<std::string_view> bytes(std::size_t count);

private:
  std::string_view m_data;
  std::size_t m_at = 0;
};

// Appends `value` to `out` as a big-endian uint32.
void put_wire_u32(std::string &out, std::uint32_t value);
// Appends `value` to `out` as an SSH string: its length, then its bytes.
void put_wire_string(std::string &out, std::string_view value);

} // namespace tasksync
