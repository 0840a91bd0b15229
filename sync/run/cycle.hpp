#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>

#include "api/client.hpp"
#include "config/api_key.hpp"
#include "config/config.hpp"
#include "git/mirror.hpp"
#include "run/poller.hpp"

namespace tasksync {

// Why start-up failed, with the exit code it maps to (2: config, 3: key or repository).
struct StartError {
  int exit_code;
  std::string message;
};

// The API side of a runtime: the fetching workers, and a client for the cycle's own requests
// (the task list, history import).
struct ApiClients {
  std::unique_ptr<Poller> poller;
  std::unique_ptr<ApiClient> api;
};

// Opens the API clients for a config and key; nothing is sent yet.
Result<ApiClients> open_api_clients(const Config &config, const ApiKey &key);

// Everything one config file opens, and what a run remembers from one cycle to the next.
struct Runtime {
  Config config;
  ApiKey key;
  ApiClients clients;
  Mirror mirror;
  std::set<std::string> reported_unlisted; // tasks already reported as no longer listed
};

// Loads the config and key and opens the API clients and the repository.
Result<Runtime, StartError> open_runtime(const std::filesystem::path &config_file, Mirror::Access access);

// One cycle as the daemon and --once run it: the task list (the team's, with `tasks: all`),
// every task fetched and committed, and tasks the API no longer lists reported (or, with
// repo.prune, deleted in a commit saying why).
PassReport run_cycle(Runtime &runtime, PassMode mode, std::stop_token stop = {}, const Poller::Progress &progress = {},
                     std::optional<std::chrono::steady_clock::time_point> give_up_at = {});

} // namespace tasksync
