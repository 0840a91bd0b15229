#include "config/sync_token.hpp"

#include "base/log.hpp"
#include "config/secret_file.hpp"

namespace tasksync {
namespace {

constexpr std::size_t kShortestToken = 16;

} // namespace

Result<std::string> load_sync_token(const std::filesystem::path &file) {
  const std::string where = "http.sync_token_file " + file.string() + ": ";
  TRY_ASSIGN(std::string token, read_secret_file(file, "http.sync_token_file"));
  for (const char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return Error{where + "the token must be one line without spaces or control characters"};
    }
  }
  if (token.size() < kShortestToken) {
    return Error{where + "the token is shorter than " + std::to_string(kShortestToken) +
                 " characters (e.g. openssl rand -hex 32 makes a good one)"};
  }
  log::add_secret(token);
  return token;
}

} // namespace tasksync
