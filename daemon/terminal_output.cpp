#include "terminal_output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace tasksyncd {
namespace {

// The whole of `text` as a decimal number, or false.
template <typename Number> bool parse_decimal(std::string_view text, Number &value) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

} // namespace

bool colour_wanted(int fd) {
  if (::isatty(fd) != 1) return false;
  if (const char *no_colour = std::getenv("NO_COLOR"); no_colour && *no_colour) return false;
  const char *term = std::getenv("TERM");
  return !(term && std::strcmp(term, "dumb") == 0);
}

bool is_journal_stream(int fd, const char *journal_stream) {
  if (!journal_stream) return false;
  const std::string_view value(journal_stream);
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (!parse_decimal(value.substr(0, colon), device) || !parse_decimal(value.substr(colon + 1), inode)) return false;
  struct stat status {};
  if (::fstat(fd, &status) != 0) return false;
  return static_cast<unsigned long long>(status.st_dev) == device &&
         static_cast<unsigned long long>(status.st_ino) == inode;
}

} // namespace tasksyncd
