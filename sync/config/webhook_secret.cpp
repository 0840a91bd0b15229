#include "config/webhook_secret.hpp"

#include "base/secret_text.hpp"
#include "base/small_file.hpp"

namespace tasksync {

Result<std::string> load_webhook_secret(const std::filesystem::path &file) {
  const std::string where = "http.webhook_secret_file " + file.string() + ": ";
  TRY_ASSIGN(std::string text, read_small_file(file, {where + "cannot read"}));
  return accept_secret(std::move(text), where + "the file");
}

} // namespace tasksync
