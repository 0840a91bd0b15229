#include "config/webhook_secret.hpp"

#include "base/log.hpp"
#include "config/secret_file.hpp"

namespace tasksync {

Result<std::string> load_webhook_secret(const std::filesystem::path &file) {
  TRY_ASSIGN(std::string secret, read_secret_file(file, "http.webhook_secret_file"));
  log::add_secret(secret);
  return secret;
}

} // namespace tasksync
