#include "secrets/webhook_secret.hpp"

#include "secrets/secret_file.hpp"
#include "secrets/secret_text.hpp"

namespace tasksync {
namespace {

// The platform keeps the previous secret valid for a day after minting a new one: two at most.
constexpr std::size_t kMostSecrets = 2;

} // namespace

Result<std::vector<std::string>> load_webhook_secrets(const std::filesystem::path &file) {
  const std::string where = "http.webhook_secret_file " + file.string() + ": ";
  TRY_ASSIGN(std::string text, read_secret_text(file, where + "cannot read"));
  if (text.ends_with('\n')) text.pop_back();
  std::vector<std::string> lines;
  for (std::size_t at = 0;;) {
    const std::size_t newline = text.find('\n', at);
    lines.push_back(text.substr(at, newline - at));
    if (newline == std::string::npos) break;
    at = newline + 1;
  }
  std::vector<std::string> secrets;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == kMostSecrets) {
      return Error{where + "it holds " + std::to_string(lines.size()) +
                   " lines; it must hold one secret, or two while the secret is rotated (the new one first)"};
    }
    // One line keeps the messages of a file that could only hold one secret ("the file is empty").
    const std::string what = lines.size() == 1 ? "the file" : "line " + std::to_string(i + 1);
    TRY_ASSIGN(std::string secret, accept_secret(std::move(lines[i]), where + what));
    secrets.push_back(std::move(secret));
  }
  return secrets;
}

} // namespace tasksync
