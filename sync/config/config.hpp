#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "base/result.hpp"
#include "config/base_url.hpp"

namespace tasksync {

// One task to mirror, as configured.
struct TaskEntry {
  std::string id;   // lower-case UUID, safe in paths and URLs
  std::string name; // optional label for commit subjects

  // The name when configured, else the ID.
  const std::string &label() const { return name.empty() ? id : name; }
};

// The `api:` section.
struct ApiSettings {
  BaseUrl base_url;
  std::chrono::seconds timeout{30};
  std::optional<std::filesystem::path> api_key_file;
  std::optional<std::filesystem::path> ca_file;
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  int retries = 3;                  // further attempts after a transient failure
  bool allow_insecure_http = false; // plain http:// to a host that is not loopback
};

// The `poll:` section.
struct PollSettings {
  std::chrono::seconds interval{300};  // start to start
  std::chrono::seconds jitter{0};      // a random 0..jitter added to each wait
  std::size_t concurrency = 8;         // tasks fetched at once (see bench/RESULTS.md: measured on a 30 ms wire)
  std::uint64_t full_check_every = 12; // every Nth pass fetches every task's /latest, whatever the list says
};

// The `http:` section: the health and metrics endpoint, off unless `listen` is set.
struct HttpSettings {
  std::optional<std::string> host; // e.g. "127.0.0.1"
  int port = 0;
  std::optional<std::filesystem::path> sync_token_file{}; // enables POST /sync with this bearer token
  std::optional<std::filesystem::path>
      webhook_secret_file{}; // enables POST /webhooks/anchorbrowser signed with this secret

  bool operator==(const HttpSettings &) const = default;
};

// The `repo.push:` section: where the mirror is published after each pass that committed.
struct PushSettings {
  std::string remote;                                      // URL (ssh://, https://, file://) or a path
  std::string branch;                                      // the remote branch; default repo.branch
  std::optional<std::filesystem::path> ssh_key_file;       // else the credential push-ssh-key, else ssh-agent
  std::optional<std::filesystem::path> token_file;         // for https; re-read on each push
  std::optional<std::filesystem::path> known_hosts_file{}; // consulted before /etc/ssh/ssh_known_hosts
  std::optional<std::filesystem::path> ca_file{};          // a CA trusted for an https remote besides the system's
  std::string token_user = "x-access-token";               // the user name sent with the token
  bool allow_insecure_http = false;                        // plain http:// to a host that is not loopback
  std::string ssh_key_source{};                            // where ssh_key_file came from when not the config
  std::string token_source{};                              // where token_file came from when not the config
  std::chrono::seconds timeout{60}; // bounds each push (connections, reads, writes, all its rounds)

  // What ssh_key_file is, for messages: "repo.push.ssh_key_file" or the credential it came from.
  std::string ssh_key_name() const { return ssh_key_source.empty() ? "repo.push.ssh_key_file" : ssh_key_source; }
  // What token_file is, for messages: "repo.push.token_file" or the credential it came from.
  std::string token_name() const { return token_source.empty() ? "repo.push.token_file" : token_source; }

  bool operator==(const PushSettings &) const = default;
};

// The `repo:` section.
struct RepoSettings {
  std::filesystem::path path = "/var/lib/tasksync/mirror";
  std::string branch = "main";
  std::string author_name = "tasksync";
  std::string author_email = "tasksync@localhost";
  std::optional<PushSettings> push;
  bool prune = false;                                      // with `tasks: all`, remove tasks that left the team's list
  bool drafts = true;                                      // each task's pending draft as a branch
  std::string drafts_prefix = "drafts/";                   // draft branches are <prefix><task ID>
  std::optional<std::filesystem::path> signing_key_file{}; // an OpenSSH ed25519 key: every commit is signed
  std::string signing_key_source{};                        // where signing_key_file came from when not the config

  // What signing_key_file is, for messages: "repo.signing_key_file" or the credential it came from.
  std::string signing_key_name() const {
    return signing_key_source.empty() ? "repo.signing_key_file" : signing_key_source;
  }

  bool operator==(const RepoSettings &) const = default;
};

// The `hooks:` section.
struct HookSettings {
  std::vector<std::string> on_change; // argv run after each commit (no shell); empty: none
  std::chrono::seconds timeout{30};
  std::vector<std::string> pass_env{}; // further variables of the daemon's environment the hook gets

  bool operator==(const HookSettings &) const = default;
};

// A validated configuration file.
struct Config {
  std::filesystem::path source; // the file it was read from
  ApiSettings api;
  PollSettings poll;
  RepoSettings repo;
  HttpSettings http;
  HookSettings hooks;
  LogLevel log_level = LogLevel::info;
  bool all_tasks = false;                 // `tasks: all`: every task of the team, listed each pass
  std::vector<TaskEntry> tasks;           // the configured list (empty with `tasks: all`)
  std::vector<std::string> tasks_exclude; // lower-case IDs skipped with `tasks: all`
};

// Reads and validates a config file. Errors read "file:line: key: problem". Under systemd
// ($STATE_DIRECTORY set) repo.path defaults to $STATE_DIRECTORY/mirror. The files of secrets and
// keys are only named here; what the config leaves unset is filled from the systemd credentials
// afterwards, by secrets/' resolve_file_credentials().
Result<Config> load_config(const std::filesystem::path &file);

// Validates config text; relative paths in it are resolved against `base_dir`, and
// `default_repo_path` applies when repo.path is not set.
Result<Config> parse_config(const std::string &text, const std::string &source_name,
                            const std::filesystem::path &base_dir,
                            const std::filesystem::path &default_repo_path = RepoSettings{}.path);

} // namespace tasksync
