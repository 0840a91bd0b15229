#include "run/runtime.hpp"

#include "base/log.hpp"
#include "secrets/credentials.hpp"
#include "secrets/http_secrets.hpp"

namespace tasksync {
namespace {

// What a config file names, loaded, checked and ready to send: a runtime but for its repository.
struct RuntimeSettings {
  Config config;
  ApiKey key;
  ApiClients clients;
  std::shared_ptr<const SigningKey> signer; // repo.signing_key_file, loaded; null without it
};

// Start-up and reload both begin here. The clients use and feed `memory`.
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

Runtime assemble(RuntimeSettings settings, std::unique_ptr<RunMemory> memory, Mirror mirror,
                 std::set<std::string> reported_unlisted) {
  mirror.sign_with(std::move(settings.signer));
  return Runtime{std::move(settings.config),  std::move(settings.key), std::move(memory),
                 std::move(settings.clients), std::move(mirror),       std::move(reported_unlisted)};
}

bool same_repository_settings(const RepoSettings &a, const RepoSettings &b) {
  return a.path == b.path && a.branch == b.branch && a.author_name == b.author_name && a.author_email == b.author_email;
}

} // namespace

Result<Runtime, StartError> open_runtime(const std::filesystem::path &config_file, Mirror::Access access) {
  auto memory = std::make_unique<RunMemory>();
  TRY_ASSIGN(auto settings, load_runtime_settings(config_file, *memory));
  auto mirror = Mirror::open(settings.config.repo, access);
  if (!mirror) return StartError{StartError::Kind::repository, mirror.error().message};
  return assemble(std::move(settings), std::move(memory), std::move(*mirror), {});
}

Result<ReloadedRuntime> reload_runtime(const std::filesystem::path &config_file, Runtime &current) {
  const auto failed = [](const std::string &why) {
    return Error{"config reload failed, keeping the previous config: " + why};
  };
  // The new clients feed the run's memory, which the new runtime takes over.
  auto settings = load_runtime_settings(config_file, *current.memory);
  if (!settings) return failed(settings.error().message);
  // From the files in force: http.* changes wait for a restart.
  // The routes exist only with http.listen: without it their files are not read, as at start.
  auto secrets = current.config.http.host ? load_http_secrets(current.config.http) : Result<HttpSecrets>(HttpSecrets{});
  if (!secrets) return failed(secrets.error().message);
  Config &config = settings->config;
  std::optional<Mirror> other;
  if (!same_repository_settings(config.repo, current.config.repo)) {
    // A path that is gone or not there yet is another repository (the error_code overload: a
    // missing path must not throw out of the reload).
    std::error_code missing;
    if (std::filesystem::equivalent(config.repo.path, current.config.repo.path, missing)) {
      return Error{"config reload: a new branch or author for the same repository takes effect at the next restart; "
                   "keeping the previous config"};
    }
    auto opened = Mirror::open(config.repo, Mirror::Access::read_write);
    if (!opened) return failed(opened.error().message);
    other.emplace(std::move(*opened));
  }
  if (config.http != current.config.http) {
    log::warning(
        "http.listen, http.sync_token_file and http.webhook_secret_file changes take effect at the next restart");
    config.http = current.config.http;
  }
  Mirror mirror = other ? std::move(*other) : std::move(current.mirror);
  return ReloadedRuntime{assemble(std::move(*settings), std::move(current.memory), std::move(mirror),
                                  std::move(current.reported_unlisted)),
                         std::move(*secrets)};
}

} // namespace tasksync
