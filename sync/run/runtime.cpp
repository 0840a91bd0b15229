#include "run/runtime.hpp"

#include "secrets/credentials.hpp"

namespace tasksync {

Result<RuntimeSettings, StartError> load_runtime_settings(const std::filesystem::path &config_file, RunMemory &memory) {
  auto config = load_config(config_file);
  if (!config) return StartError{StartError::Kind::config, config.error().message};
  resolve_file_credentials(*config, credential_sources_from_environment());
  auto key = load_api_key(api_key_sources_from_environment(config->api.api_key_file));
  if (!key) return StartError{StartError::Kind::credentials, key.error().message};
  const auto config_error = [&](const Error &error) {
    return StartError{StartError::Kind::config, config_file.string() + ": " + error.message};
  };
  // One trust store for every client of the run (HTTPS only).
  std::shared_ptr<const TrustStore> trust;
  if (config->api.base_url.scheme == "https") {
    auto loaded = TrustStore::load(config->api);
    if (!loaded) return config_error(loaded.error());
    trust = std::move(*loaded);
  }
  auto pool = FetchPool::create(config->api, key->value, config->poll.concurrency, memory.names, memory.notices, trust);
  if (!pool) return config_error(pool.error());
  auto api = ApiClient::create(config->api, key->value, std::make_shared<RequestGate>(), memory.notices, trust);
  if (!api) return config_error(api.error());
  auto poller = std::make_unique<Poller>(**pool, memory.names);
  std::shared_ptr<const SigningKey> signer;
  if (config->repo.signing_key_file) {
    auto loaded = SigningKey::load(*config->repo.signing_key_file, config->repo.signing_key_name());
    if (!loaded) return config_error(loaded.error());
    signer = std::move(*loaded);
  }
  return RuntimeSettings{std::move(*config), std::move(*key),
                         ApiClients{std::move(*pool), std::move(poller), std::make_unique<ApiClient>(std::move(*api))},
                         std::move(signer)};
}

Result<Runtime, StartError> open_runtime(const std::filesystem::path &config_file, Mirror::Access access) {
  auto memory = std::make_unique<RunMemory>();
  TRY_ASSIGN(auto settings, load_runtime_settings(config_file, *memory));
  auto mirror = Mirror::open(settings.config.repo, access);
  if (!mirror) return StartError{StartError::Kind::repository, mirror.error().message};
  mirror->sign_with(std::move(settings.signer));
  return Runtime{std::move(settings.config),  std::move(settings.key), std::move(memory),
                 std::move(settings.clients), std::move(*mirror),      {}};
}

} // namespace tasksync
