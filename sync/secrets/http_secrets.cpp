#include "secrets/http_secrets.hpp"

#include "secrets/sync_token.hpp"
#include "secrets/webhook_secret.hpp"

namespace tasksync {

HttpSecretFiles read_http_secret_files(const HttpSettings &http) {
  HttpSecretFiles files;
  if (http.sync_token_file) files.sync_token = load_sync_token(*http.sync_token_file);
  if (http.webhook_secret_file) files.webhook_secrets = load_webhook_secrets(*http.webhook_secret_file);
  return files;
}

Result<HttpSecrets> load_http_secrets(const HttpSettings &http) {
  HttpSecretFiles files = read_http_secret_files(http);
  HttpSecrets secrets;
  if (files.sync_token) {
    TRY_ASSIGN(secrets.sync_token, std::move(*files.sync_token));
  }
  if (files.webhook_secrets) {
    TRY_ASSIGN(secrets.webhook_secrets, std::move(*files.webhook_secrets));
  }
  return secrets;
}

} // namespace tasksync
