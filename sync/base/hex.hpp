#pragma once

#include <span>
#include <string>

namespace tasksync {

// Appends `bytes` as lower-case hexadecimal, two digits a byte (pack names, `\xNN` escapes).
void append_hex(std::string &out, std::span<const unsigned char> bytes);

} // namespace tasksync
