#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "base/git_handles.hpp"
#include "base/small_file.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

// Thrown inside this file only, turned into an Error by parse_config.
struct ConfigProblem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Parser {
public:
  Parser(std::string source, std::filesystem::path base_dir)
      : m_source(std::move(source)), m_base_dir(std::move(base_dir)) {}

  Config parse(const YAML::Node &root, const std::filesystem::path &default_repo_path) {
    Config config;
    config.repo.path = default_repo_path;
    if (!root.IsDefined() || root.IsNull()) fail(root, "", "the file is empty; it needs at least a tasks: list");
    if (!root.IsMap()) fail(root, "", "expected a mapping with api:, poll:, repo:, log: and tasks:");
    check_keys(root, "", {"api", "poll", "repo", "http", "hooks", "log", "tasks", "tasks_exclude"});
    parse_api(root["api"] ? root["api"] : YAML::Node(YAML::NodeType::Map), config.api);
    if (root["poll"]) parse_poll(root["poll"], config.poll);
    if (root["repo"]) parse_repo(root["repo"], config.repo);
    if (root["http"]) parse_http(root["http"], config.http);
    if (root["hooks"]) parse_hooks(root["hooks"], config.hooks);
    if (root["log"]) parse_log(root["log"], config.log_level);
    if (!root["tasks"]) fail(root, "tasks", "missing: list the task IDs to mirror, or say `tasks: all`");
    if (root["tasks"].IsScalar() && root["tasks"].Scalar() == "all") {
      config.all_tasks = true;
    } else {
      config.tasks = parse_tasks(root["tasks"]);
    }
    if (root["tasks_exclude"]) {
      if (!config.all_tasks) fail(root["tasks_exclude"], "tasks_exclude", "only applies with `tasks: all`");
      for (const TaskEntry &task : parse_tasks(root["tasks_exclude"], "tasks_exclude")) {
        config.tasks_exclude.push_back(task.id);
      }
    }
    return config;
  }

private:
  static constexpr const char *kDefaultBaseUrl = "https://api.anchorbrowser.io";

  [[noreturn]] void fail(const YAML::Node &node, const std::string &key, const std::string &problem) const {
    std::string where = m_source;
    if (node.IsDefined() && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
    throw ConfigProblem(where + ": " + (key.empty() ? "" : key + ": ") + problem);
  }

  // Typos must not be ignored: every key not in `allowed` is an error.
  void check_keys(const YAML::Node &map, const std::string &prefix, std::set<std::string> allowed) const {
    std::set<std::string> seen;
    for (const auto &item : map) {
      const std::string key = item.first.Scalar();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if ((prefix == "api" && (key == "api_key" || key == "key")) || (prefix.empty() && key == "api_key")) {
        fail(item.first, path,
             "an API key may not be written in the config file; put it in a file named by "
             "api.api_key_file, the ANCHORBROWSER_API_KEY environment variable, or the systemd "
             "credential anchor-api-key");
      }
      if (!allowed.contains(key)) {
        std::string known;
        for (const auto &name : allowed)
          known += (known.empty() ? "" : ", ") + name;
        fail(item.first, path, "unknown key (expected one of: " + known + ")");
      }
      if (!seen.insert(key).second) fail(item.first, path, "appears twice");
    }
  }

  void expect_map(const YAML::Node &node, const std::string &key) const {
    if (!node.IsMap()) fail(node, key, "expected a mapping");
  }

  std::string scalar(const YAML::Node &node, const std::string &key) const {
    if (!node.IsScalar()) fail(node, key, "expected a single value");
    return node.Scalar();
  }

  std::string non_empty_line(const YAML::Node &node, const std::string &key) const {
    std::string value = scalar(node, key);
    if (value.empty()) fail(node, key, "must not be empty");
    if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return std::iscntrl(c); })) {
      fail(node, key, "must be a single line without control characters");
    }
    return value;
  }

  long long integer(const YAML::Node &node, const std::string &key, long long min, long long max) const {
    return integer_text(scalar(node, key), node, key, min, max);
  }

  long long integer_text(const std::string &text, const YAML::Node &node, const std::string &key, long long min,
                         long long max) const {
    long long value = 0;
    try {
      std::size_t used = 0;
      value = std::stoll(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception &) {
      fail(node, key, "expected a whole number, got \"" + text + "\"");
    }
    if (value < min || value > max) {
      fail(node, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }

  bool boolean(const YAML::Node &node, const std::string &key) const {
    const std::string text = scalar(node, key);
    if (text == "true") return true;
    if (text == "false") return false;
    fail(node, key, "expected true or false, got \"" + text + "\"");
  }

  std::filesystem::path path(const YAML::Node &node, const std::string &key) const {
    std::filesystem::path value = non_empty_line(node, key);
    return value.is_absolute() ? value : (m_base_dir / value).lexically_normal();
  }

  // A path that must name a file this process can read now (not a secret: those are read when used).
  std::filesystem::path readable_path(const YAML::Node &node, const std::string &key) const {
    std::filesystem::path value = path(node, key);
    if (auto readable = open_regular_file(value, {"cannot read the file " + value.string()}); !readable) {
      fail(node, key, readable.error().message);
    }
    return value;
  }

  void parse_api(const YAML::Node &node, ApiSettings &api) const {
    expect_map(node, "api");
    check_keys(node, "api",
               {"base_url", "timeout_seconds", "api_key_file", "ca_file", "max_response_bytes", "retries",
                "allow_insecure_http"});
    // Without api.base_url, ANCHORBROWSER_BASE_URL, as the vendor's SDKs read it; the file wins.
    const char *from_environment = std::getenv("ANCHORBROWSER_BASE_URL");
    const bool use_environment = !node["base_url"] && from_environment && *from_environment;
    auto url = parse_base_url(node["base_url"]  ? non_empty_line(node["base_url"], "api.base_url")
                              : use_environment ? std::string(from_environment)
                                                : std::string(kDefaultBaseUrl));
    if (!url) {
      fail(node["base_url"], "api.base_url",
           (use_environment ? "from ANCHORBROWSER_BASE_URL: " : "") + url.error().message);
    }
    api.base_url = std::move(*url);
    if (node["allow_insecure_http"])
      api.allow_insecure_http = boolean(node["allow_insecure_http"], "api.allow_insecure_http");
    if (api.base_url.scheme == "http" && !api.base_url.is_loopback() && !api.allow_insecure_http) {
      fail(node["base_url"], "api.base_url",
           std::string(use_environment ? "from ANCHORBROWSER_BASE_URL: " : "") +
               "plain http:// is only accepted for loopback addresses: \"" + api.base_url.host +
               "\" is neither localhost nor a literal loopback address (127.0.0.0/8, ::1), and a name is not judged "
               "by its spelling; the API key would cross the network in clear text (use https://, or set "
               "api.allow_insecure_http: true)");
    }
    if (node["retries"]) api.retries = static_cast<int>(integer(node["retries"], "api.retries", 0, 10));
    if (node["timeout_seconds"])
      api.timeout = std::chrono::seconds(integer(node["timeout_seconds"], "api.timeout_seconds", 1, 3600));
    if (node["api_key_file"]) api.api_key_file = path(node["api_key_file"], "api.api_key_file");
    if (node["ca_file"]) api.ca_file = readable_path(node["ca_file"], "api.ca_file");
    if (node["max_response_bytes"]) {
      api.max_response_bytes =
          static_cast<std::size_t>(integer(node["max_response_bytes"], "api.max_response_bytes", 1024, 1LL << 30));
    }
  }

  void parse_poll(const YAML::Node &node, PollSettings &poll) const {
    expect_map(node, "poll");
    check_keys(node, "poll", {"interval_seconds", "jitter_seconds", "concurrency", "full_check_every"});
    if (node["interval_seconds"]) {
      poll.interval =
          std::chrono::seconds(integer(node["interval_seconds"], "poll.interval_seconds", 1, 7 * 24 * 3600));
    }
    if (node["jitter_seconds"]) {
      poll.jitter =
          std::chrono::seconds(integer(node["jitter_seconds"], "poll.jitter_seconds", 0, poll.interval.count()));
    }
    if (node["concurrency"]) {
      poll.concurrency = static_cast<std::size_t>(integer(node["concurrency"], "poll.concurrency", 1, 64));
    }
    if (node["full_check_every"]) {
      poll.full_check_every =
          static_cast<std::uint64_t>(integer(node["full_check_every"], "poll.full_check_every", 1, 100000));
    }
  }

  void parse_http(const YAML::Node &node, HttpSettings &http) const {
    expect_map(node, "http");
    check_keys(node, "http", {"listen", "sync_token_file", "webhook_secret_file"});
    if (node["sync_token_file"]) {
      if (!node["listen"])
        fail(node["sync_token_file"], "http.sync_token_file", "needs http.listen (POST /sync is served there)");
      http.sync_token_file = path(node["sync_token_file"], "http.sync_token_file");
    }
    if (node["webhook_secret_file"]) {
      if (!node["listen"]) {
        fail(node["webhook_secret_file"], "http.webhook_secret_file",
             "needs http.listen (POST /webhooks/anchorbrowser is served there)");
      }
      http.webhook_secret_file = path(node["webhook_secret_file"], "http.webhook_secret_file");
    }
    if (!node["listen"]) return;
    const std::string listen = non_empty_line(node["listen"], "http.listen");
    const auto colon = listen.rfind(':');
    std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) fail(node["listen"], "http.listen", "expected host:port, e.g. 127.0.0.1:9464");
    http.host = host;
    http.port = static_cast<int>(integer_text(listen.substr(colon + 1), node["listen"], "http.listen port", 1, 65535));
  }

  // True when refs/heads/<branch> and refs/heads/<prefix><task ID> could not both exist, or be the same.
  static bool clashes_with_drafts(const std::string &branch, const std::string &prefix) {
    const std::string branch_dir = branch + "/";
    return branch_dir.starts_with(prefix) || prefix.starts_with(branch_dir);
  }

  void parse_repo(const YAML::Node &node, RepoSettings &repo) const {
    expect_map(node, "repo");
    check_keys(node, "repo",
               {"path", "branch", "author", "push", "prune", "drafts", "drafts_prefix", "signing_key_file"});
    ensure_libgit2(); // branch names are checked by libgit2
    if (node["prune"]) repo.prune = boolean(node["prune"], "repo.prune");
    if (node["drafts"]) repo.drafts = boolean(node["drafts"], "repo.drafts");
    if (node["path"]) repo.path = path(node["path"], "repo.path");
    if (node["signing_key_file"]) repo.signing_key_file = path(node["signing_key_file"], "repo.signing_key_file");
    if (node["branch"]) {
      repo.branch = non_empty_line(node["branch"], "repo.branch");
      int valid = 0;
      if (git_reference_name_is_valid(&valid, ("refs/heads/" + repo.branch).c_str()) != 0 || !valid) {
        fail(node["branch"], "repo.branch", "\"" + repo.branch + "\" is not a valid git branch name");
      }
    }
    if (node["drafts_prefix"]) {
      repo.drafts_prefix = non_empty_line(node["drafts_prefix"], "repo.drafts_prefix");
      int valid = 0;
      const std::string example = "refs/heads/" + repo.drafts_prefix + "3c90c3cc-0d44-4b50-8888-8dd25736052a";
      if (git_reference_name_is_valid(&valid, example.c_str()) != 0 || !valid) {
        fail(node["drafts_prefix"], "repo.drafts_prefix",
             "\"" + repo.drafts_prefix + "\" followed by a task ID is not a valid git branch name");
      }
    }
    // refs/heads/x and refs/heads/x/y cannot both exist, and a draft must never be the branch.
    if (clashes_with_drafts(repo.branch, repo.drafts_prefix)) {
      fail(node["drafts_prefix"] ? node["drafts_prefix"] : node, "repo.drafts_prefix",
           "\"" + repo.drafts_prefix + "\" clashes with repo.branch \"" + repo.branch +
               "\": draft branches would be the branch or inside it");
    }
    if (const YAML::Node author = node["author"]) {
      expect_map(author, "repo.author");
      check_keys(author, "repo.author", {"name", "email"});
      if (author["name"]) repo.author_name = identity_part(author["name"], "repo.author.name");
      if (author["email"]) repo.author_email = identity_part(author["email"], "repo.author.email");
    }
    if (const YAML::Node push = node["push"]) {
      expect_map(push, "repo.push");
      check_keys(push, "repo.push",
                 {"remote", "branch", "ssh_key_file", "token_file", "known_hosts_file", "ca_file", "token_user",
                  "allow_insecure_http", "timeout_seconds"});
      if (!push["remote"]) fail(push, "repo.push.remote", "missing: the URL or path to push to");
      PushSettings settings;
      settings.remote = non_empty_line(push["remote"], "repo.push.remote");
      const auto remote_url = split_url(settings.remote);
      const bool over_http = remote_url && (remote_url->scheme == "http" || remote_url->scheme == "https");
      if (over_http && remote_url->user_info) {
        fail(push["remote"], "repo.push.remote", "credentials in the URL are refused; use repo.push.token_file");
      }
      if (push["allow_insecure_http"]) {
        settings.allow_insecure_http = boolean(push["allow_insecure_http"], "repo.push.allow_insecure_http");
      }
      if (over_http && remote_url->scheme == "http" && !settings.allow_insecure_http) {
        // The same judgement as api.base_url's: only a literal loopback address or localhost.
        auto as_base = parse_base_url("http://" + remote_url->host_port);
        if (!as_base || !as_base->is_loopback()) {
          fail(push["remote"], "repo.push.remote",
               "plain http:// is only accepted for loopback addresses: \"" + remote_url->host_port +
                   "\" is neither localhost nor a literal loopback address (127.0.0.0/8, ::1), and the token and "
                   "every commit would cross the network in clear text (use https://, or set "
                   "repo.push.allow_insecure_http: true)");
        }
      }
      settings.branch = repo.branch;
      if (push["branch"]) {
        settings.branch = non_empty_line(push["branch"], "repo.push.branch");
        int valid = 0;
        if (git_reference_name_is_valid(&valid, ("refs/heads/" + settings.branch).c_str()) != 0 || !valid) {
          fail(push["branch"], "repo.push.branch", "\"" + settings.branch + "\" is not a valid git branch name");
        }
        // The draft branches are pushed under their own names, beside this one.
        if (clashes_with_drafts(settings.branch, repo.drafts_prefix)) {
          fail(push["branch"], "repo.push.branch",
               "\"" + settings.branch + "\" clashes with repo.drafts_prefix \"" + repo.drafts_prefix +
                   "\": draft branches would be the branch or inside it on the remote");
        }
      }
      if (push["ssh_key_file"]) settings.ssh_key_file = path(push["ssh_key_file"], "repo.push.ssh_key_file");
      if (push["token_file"]) settings.token_file = path(push["token_file"], "repo.push.token_file");
      if (push["known_hosts_file"]) {
        settings.known_hosts_file = readable_path(push["known_hosts_file"], "repo.push.known_hosts_file");
      }
      if (push["ca_file"]) settings.ca_file = readable_path(push["ca_file"], "repo.push.ca_file");
      if (push["token_user"]) {
        settings.token_user = non_empty_line(push["token_user"], "repo.push.token_user");
        if (settings.token_user.find(':') != std::string::npos) {
          fail(push["token_user"], "repo.push.token_user",
               "must not contain ':' (it ends the user name in HTTP basic authentication)");
        }
      }
      if (push["timeout_seconds"]) {
        settings.timeout = std::chrono::seconds(integer(push["timeout_seconds"], "repo.push.timeout_seconds", 1, 3600));
      }
      repo.push = std::move(settings);
    }
  }

  void parse_hooks(const YAML::Node &node, HookSettings &hooks) const {
    expect_map(node, "hooks");
    check_keys(node, "hooks", {"on_change", "timeout_seconds", "pass_env"});
    if (const YAML::Node command = node["on_change"]) {
      if (!command.IsSequence() || command.size() == 0) {
        fail(command, "hooks.on_change", "expected a command as a list of arguments, e.g. [/usr/bin/notify, --quiet]");
      }
      for (std::size_t i = 0; i < command.size(); ++i) {
        hooks.on_change.push_back(scalar(command[i], "hooks.on_change[" + std::to_string(i) + "]"));
      }
      if (hooks.on_change.front().empty()) fail(command, "hooks.on_change", "the program name is empty");
    }
    if (node["timeout_seconds"]) {
      hooks.timeout = std::chrono::seconds(integer(node["timeout_seconds"], "hooks.timeout_seconds", 1, 3600));
    }
    if (const YAML::Node names = node["pass_env"]) hooks.pass_env = pass_env(names);
  }

  // The names in hooks.pass_env. The hook's environment is built, not inherited, so that the
  // daemon's secrets stay with the daemon; a name that would hand one over is refused.
  std::vector<std::string> pass_env(const YAML::Node &names) const {
    if (!names.IsSequence()) {
      fail(names, "hooks.pass_env", "expected a list of environment variable names, e.g. [HTTPS_PROXY]");
    }
    const auto name_char = [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    };
    std::vector<std::string> result;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string key = "hooks.pass_env[" + std::to_string(i) + "]";
      const std::string name = scalar(names[i], key);
      if (name.empty() || (name[0] >= '0' && name[0] <= '9') || !std::all_of(name.begin(), name.end(), name_char)) {
        fail(names[i], key,
             "\"" + name + "\" is not an environment variable name (ASCII letters, digits and _, not a digit first)");
      }
      if (name == "ANCHORBROWSER_API_KEY" || name == "CREDENTIALS_DIRECTORY") {
        fail(names[i], key, name + " would hand the API key to the hook; it is never passed");
      }
      if (name.starts_with("TASKSYNC_")) fail(names[i], key, name + " is set by tasksyncd itself");
      if (std::find(result.begin(), result.end(), name) != result.end()) fail(names[i], key, name + " appears twice");
      result.push_back(name);
    }
    return result;
  }

  std::string identity_part(const YAML::Node &node, const std::string &key) const {
    std::string value = non_empty_line(node, key);
    if (value.find_first_of("<>") != std::string::npos) fail(node, key, "must not contain < or >");
    return value;
  }

  void parse_log(const YAML::Node &node, LogLevel &level) const {
    expect_map(node, "log");
    check_keys(node, "log", {"level"});
    if (node["level"]) {
      auto parsed = parse_log_level(scalar(node["level"], "log.level"));
      if (!parsed) fail(node["level"], "log.level", "expected error, warning, info or debug");
      level = *parsed;
    }
  }

  std::vector<TaskEntry> parse_tasks(const YAML::Node &node, const std::string &name = "tasks") const {
    if (!node.IsSequence())
      fail(node, name, "expected a list of task IDs" + std::string(name == "tasks" ? ", or `all`" : ""));
    if (node.size() == 0)
      fail(node, name, "the list is empty" + std::string(name == "tasks" ? ": nothing to mirror" : ""));
    std::vector<TaskEntry> tasks;
    std::map<std::string, int> first_line;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      const std::string key = name + "[" + std::to_string(i) + "]";
      TaskEntry task;
      if (item.IsMap()) {
        check_keys(item, key, {"id", "name"});
        if (!item["id"]) fail(item, key + ".id", "missing");
        if (item["name"]) task.name = non_empty_line(item["name"], key + ".name");
      }
      // Copy-constructed: assigning one yaml-cpp Node to another would rewrite the document.
      const YAML::Node id_node = item.IsMap() ? item["id"] : item;
      const std::string id = scalar(id_node, key);
      if (!is_uuid(id))
        fail(id_node, key,
             "\"" + id + "\" is not a task ID (expected a UUID like 3c90c3cc-0d44-4b50-8888-8dd25736052a)");
      task.id = ascii_lower(id);
      const int line = id_node.Mark().line + 1;
      if (auto [it, inserted] = first_line.emplace(task.id, line); !inserted) {
        fail(id_node, key, "duplicate task " + task.id + " (first listed on line " + std::to_string(it->second) + ")");
      }
      tasks.push_back(std::move(task));
    }
    return tasks;
  }

  std::string m_source;
  std::filesystem::path m_base_dir;
};

} // namespace

Result<Config> parse_config(const std::string &text, const std::string &source_name,
                            const std::filesystem::path &base_dir, const std::filesystem::path &default_repo_path) {
  try {
    YAML::Node root = YAML::Load(text);
    Config config = Parser(source_name, base_dir).parse(root, default_repo_path);
    config.source = source_name;
    return config;
  } catch (const ConfigProblem &problem) {
    return Error{problem.what()};
  } catch (const YAML::Exception &e) {
    return Error{source_name + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                 ": YAML syntax error: " + e.msg};
  }
}

Result<Config> load_config(const std::filesystem::path &file) {
  // Nothing but a regular file of sane size is read: a FIFO is never waited on, /dev/zero never
  // ends, a directory is no text.
  TRY_ASSIGN(const std::string text,
             read_small_file(file, {file.string() + ": cannot read the config file", 1 << 20, "a config file"}));
  const std::filesystem::path base_dir = std::filesystem::absolute(file).parent_path();
  std::filesystem::path default_repo_path = RepoSettings{}.path;
  if (const char *state = std::getenv("STATE_DIRECTORY"); state && *state) {
    // systemd may list several directories separated by ':'; ours is the first.
    default_repo_path = std::filesystem::path(std::string(state).substr(0, std::string(state).find(':'))) / "mirror";
  }
  return parse_config(text, file.string(), base_dir, default_repo_path);
}

} // namespace tasksync
