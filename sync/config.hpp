#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base_url.hpp"
#include "log.hpp"
#include "result.hpp"

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
};

// The `poll:` section.
struct PollSettings {
  std::chrono::seconds interval{300};
};

// The `repo:` section.
struct RepoSettings {
  std::filesystem::path path = "/var/lib/tasksync/mirror";
  std::string branch = "main";
  std::string author_name = "tasksync";
  std::string author_email = "tasksync@localhost";
};

// A validated configuration file.
struct Config {
  std::filesystem::path source; // the file it was read from
  ApiSettings api;
  PollSettings poll;
  RepoSettings repo;
  LogLevel log_level = LogLevel::info;
  std::vector<TaskEntry> tasks;
};

// Reads and validates a config file. Errors read "file:line: key: problem".
Result<Config> load_config(const std::filesystem::path &file);

// Validates config text; relative paths in it are resolved against `base_dir`.
Result<Config> parse_config(const std::string &text, const std::string &source_name,
                            const std::filesystem::path &base_dir);

// True for a UUID in 8-4-4-4-12 hexadecimal form (either case).
bool is_uuid(std::string_view text);

} // namespace tasksync
