#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "api/deprecation.hpp"
#include "base/recent_set.hpp"
#include "config/config.hpp"
#include "git/mirror.hpp"
#include "publish/hook_queue.hpp"
#include "run/list_hint.hpp"
#include "run/poller.hpp"
#include "run/task_names.hpp"
#include "secrets/api_key.hpp"
#include "secrets/http_secrets.hpp"

namespace tasksync {

// Why opening a runtime failed. What failed decides the exit code, which is daemon/'s to choose.
struct StartError {
  enum class Kind { config, credentials, repository };
  Kind kind;
  std::string message;
};

// The API side of a runtime: the pass's fetching (and the list's pages) and applying, and a
// client for the cycle's own requests (the list's first page, history import).
struct ApiClients {
  std::unique_ptr<FetchPool> pool;
  std::unique_ptr<Poller> poller; // applies what `pool` fetches
  std::unique_ptr<ApiClient> api;
};

// The draft IDs of task.healed events a run remembers: the last 1000.
inline constexpr std::size_t kMostHealedDrafts = 1000;

// What a run keeps across reloads and shares between its API clients.
struct RunMemory {
  TaskNames names;                                                                      // names for commit subjects
  std::shared_ptr<DeprecationNotices> notices = std::make_shared<DeprecationNotices>(); // the API's retirement notices
  std::uint64_t passes = 0;                                // passes run, for poll.full_check_every
  std::optional<long long> listed_total;                   // the task list's size when last read
  HeadDigests head_digests;                                // what HEAD's task directories say, for the list
  HookQueue hooks;                                         // commits whose hook waits for the branch (and the remote)
  RecentSet<std::string> healed_drafts{kMostHealedDrafts}; // draft IDs verified task.healed events named (Task-Healed)
  std::optional<git_oid> drafts_tip;                       // the branch tip the draft branches were last built on
  bool every_draft_wanted = false; // a task.healed matched no mirrored task: a pass reads every task's draft
  std::optional<std::chrono::steady_clock::time_point> every_draft_read; // when a pass last did, for that alone
};

// Everything one config file opens, and what a run remembers from one cycle to the next.
struct Runtime {
  Config config;
  ApiKey key;
  std::unique_ptr<RunMemory> memory; // before clients, which use it
  ApiClients clients;
  Mirror mirror;
  std::set<std::string> reported_unlisted; // tasks already reported as no longer listed
};

// Loads the config file, the API key and the signing key, prepares the API clients (nothing is
// sent yet) and opens the repository; a signing key that cannot be used is a config error naming
// its file and the reason. Start-up begins here, and SIGHUP's reload_runtime() builds the same way.
Result<Runtime, StartError> open_runtime(const std::filesystem::path &config_file, Mirror::Access access);

/// What a reload loaded: the runtime to take the old one's place whole, and the secrets read again.
struct ReloadedRuntime {
  Runtime runtime;
  HttpSecrets http_secrets;
};

// SIGHUP: the runtime `config_file` describes now, built as open_runtime() builds one, to replace
// `current` whole. It takes over current's run memory and reported tasks, and its repository
// unless repo.path names another one (opened, or created, as at start; a new branch or author
// for the same repository waits for a restart and fails the reload). http.* stays as in force
// (a warning says when the file changed it), and the secret files of the routes it serves (with
// http.listen) are read again, so that replacing their content needs no restart. Fails, with the
// line to log and `current` untouched, when any of that cannot be loaded.
Result<ReloadedRuntime> reload_runtime(const std::filesystem::path &config_file, Runtime &current);

} // namespace tasksync
