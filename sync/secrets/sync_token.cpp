#include "secrets/sync_token.hpp"

#include "secrets/secret_file.hpp"
#include "secrets/secret_text.hpp"

namespace tasksync {
namespace {

constexpr std::size_t kShortestToken = 16;

} // namespace

Result<std::string> load_sync_token(const std::filesystem::path &file) {
  const std::string where = "http.sync_token_file " + file.string() + ": ";
  TRY_ASSIGN(std::string text, read_secret_text(file, where + "cannot read"));
  TRY_ASSIGN(std::string token, accept_secret(std::move(text), where + "the token"));
  for (const char c : token) {
    if (c == ' ') return Error{where + "the token must be one line without spaces or control characters"};
  }
  if (token.size() < kShortestToken) {
    return Error{where + "the token is shorter than " + std::to_string(kShortestToken) +
                 " characters (e.g. openssl rand -hex 32 makes a good one)"};
  }
  return token;
}

} // namespace tasksync
