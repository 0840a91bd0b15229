#include "base/ssh_wire.hpp"

namespace tasksync {

std::optional<std::string_view> WireReader::bytes(std::size_t count) {
  if (m_data.size() - m_at < count) return std::nullopt;
  const std::string_view read = m_data.substr(m_at, count);
  m_at += count;
  return read;
}

std::optional<std::uint32_t> WireReader::u32() {
  const auto read = bytes(4);
  if (!read) return std::nullopt;
  std::uint32_t value = 0;
  for (const char byte : *read)
    value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

std::optional<std::string_view> WireReader::string() {
  const auto length = u32();
  if (!length) return std::nullopt;
  return bytes(*length);
}

void put_wire_u32(std::string &out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xff));
}

void put_wire_string(std::string &out, std::string_view value) {
  put_wire_u32(out, static_cast<std::uint32_t>(value.size()));
  out.append(value);
}

} // namespace tasksync
