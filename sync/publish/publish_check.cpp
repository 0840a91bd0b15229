#include "publish/publish_check.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

#include "config/base_url.hpp"
#include "publish/known_hosts.hpp"
#include "publish/push_session.hpp"
#include "publish/remote_url.hpp"
#include "publish/ssh_key.hpp"
#include "secrets/credential_sources.hpp"

namespace tasksync {

using namespace publish_detail;

namespace {

// A dynamic user owns none of our files and is in none of their groups: it reads what others may.
void warn_if_private(const std::filesystem::path &file, const std::string &what, std::string_view credential,
                     CheckedPart &part) {
  struct stat status {};
  if (::stat(file.c_str(), &status) != 0 || (status.st_mode & S_IROTH)) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
  part.warnings.push_back(what + " " + file.string() + " is readable here, but not by the unit's dynamic user (mode " +
                          mode + ", uid " + std::to_string(status.st_uid) + "): under the unit, put it at " +
                          std::string(kUnitCredentialSources) + "/" + std::string(credential) +
                          " (root-only is fine: the unit hands it over as the systemd credential " +
                          std::string(credential) + ") and leave " + what + " unset");
}

void check_ssh(const PushSettings &push, const RemoteUrl &remote, CheckedPart &part, bool outside_unit) {
  if (push.ssh_key_file) {
    auto algorithm = check_ssh_key_file(*push.ssh_key_file, push.ssh_key_name());
    part.summary.push_back("  ssh key: " + push.ssh_key_name() + " " + push.ssh_key_file->string() +
                           (algorithm ? " (" + *algorithm + ")" : ""));
    if (!algorithm) part.problems.push_back(algorithm.error().message);
    if (algorithm && outside_unit && push.ssh_key_source.empty()) {
      warn_if_private(*push.ssh_key_file, push.ssh_key_name(), kPushSshKeyCredential, part);
    }
  } else if (const char *agent = std::getenv("SSH_AUTH_SOCK"); agent && *agent) {
    part.summary.push_back(std::string("  ssh key: from ssh-agent (SSH_AUTH_SOCK=") + agent + ")");
  } else {
    part.summary.push_back("  ssh key: none");
    part.problems.push_back("repo.push: no ssh key for " + remote.display +
                            ": repo.push.ssh_key_file is not set, there is no credential " +
                            std::string(kPushSshKeyCredential) + " (" + std::string(kUnitCredentialSources) + "/" +
                            std::string(kPushSshKeyCredential) + " outside the unit), and SSH_AUTH_SOCK is not set");
  }
  const auto files = known_hosts_files(push.known_hosts_file);
  const std::string host = known_hosts_name(remote);
  std::string listed;
  for (const auto &file : files) {
    std::error_code ignored;
    const bool present = std::filesystem::exists(file, ignored);
    const bool lists = present && is_host_listed(host, {file});
    listed += (listed.empty() ? "" : ", ") + file.string() +
              (!present ? " (missing)"
               : lists  ? " (lists " + host + ")"
                        : " (does not list " + host + ")");
  }
  part.summary.push_back("  known_hosts: " + listed);
  if (!is_host_listed(host, files)) {
    part.problems.push_back("repo.push: the ssh host " + host + " is listed in no known_hosts file (" + listed +
                            "); add its key to repo.push.known_hosts_file or /etc/ssh/ssh_known_hosts "
                            "(ssh-keyscan, after checking the fingerprint)");
  }
}

void check_https(const PushSettings &push, const RemoteUrl &remote, CheckedPart &part, bool outside_unit) {
  if (push.token_file) {
    auto token = read_token(push);
    part.summary.push_back("  token: " + push.token_name() + " " + push.token_file->string() + " (user " +
                           push.token_user + ")");
    if (!token) part.problems.push_back(token.error().message);
    if (token && outside_unit && push.token_source.empty()) {
      warn_if_private(*push.token_file, push.token_name(), kPushTokenCredential, part);
    }
  } else {
    part.summary.push_back("  token: none (a remote that asks for credentials will fail)");
  }
  if (const auto parts = split_url(remote.url); parts && parts->scheme == "https") {
    part.summary.push_back("  TLS: the system's CA store" +
                           (push.ca_file ? " and repo.push.ca_file " + push.ca_file->string() : std::string()));
  } else {
    part.summary.push_back("  TLS: none, plain http");
  }
}

// Where posix_spawnp would find `program`, or why it would not.
Result<std::filesystem::path> find_program(const std::string &program) {
  const auto runnable = [](const std::filesystem::path &file) -> Result<void> {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0) return Error{std::strerror(errno)};
    if (!S_ISREG(status.st_mode)) return Error{"not a regular file"};
    if (::access(file.c_str(), X_OK) != 0) return Error{std::string("not executable: ") + std::strerror(errno)};
    return {};
  };
  if (program.find('/') != std::string::npos) {
    if (auto ok = runnable(program); !ok) return Error{program + ": " + ok.error().message};
    return std::filesystem::path(program);
  }
  const char *path = std::getenv("PATH");
  const std::string directories = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (std::size_t start = 0; start <= directories.size();) {
    std::size_t end = directories.find(':', start);
    if (end == std::string::npos) end = directories.size();
    const std::filesystem::path candidate =
        std::filesystem::path(end == start ? "." : directories.substr(start, end - start)) / program;
    if (runnable(candidate)) return candidate;
    start = end + 1;
  }
  return Error{program + ": not found in PATH (" + directories + ")"};
}

} // namespace

CheckedPart check_push(const std::optional<PushSettings> &push, bool outside_unit) {
  CheckedPart part;
  if (!push) {
    part.summary.push_back("push: none (repo.push is not set)");
    return part;
  }
  const RemoteUrl remote = parse_remote(push->remote);
  const std::string branch = push->branch;
  switch (remote.transport) {
  case Transport::local:
    part.summary.push_back("push: " + remote.path.string() + " (a local repository), branch " + branch);
    break;
  case Transport::ssh:
    part.summary.push_back("push: " + remote.display + " (ssh), branch " + branch);
    check_ssh(*push, remote, part, outside_unit);
    break;
  case Transport::http:
    part.summary.push_back("push: " + remote.display + " (http), branch " + branch);
    check_https(*push, remote, part, outside_unit);
    break;
  case Transport::other: part.summary.push_back("push: " + remote.display + ", branch " + branch); break;
  }
  return part;
}

CheckedPart check_hooks(const HookSettings &hooks) {
  CheckedPart part;
  if (hooks.on_change.empty()) {
    part.summary.push_back("hooks: none (hooks.on_change is not set)");
    return part;
  }
  std::string command;
  for (const std::string &argument : hooks.on_change)
    command += (command.empty() ? "" : " ") + argument;
  auto program = find_program(hooks.on_change.front());
  part.summary.push_back("hooks: on_change " + command + " (timeout " + std::to_string(hooks.timeout.count()) + " s" +
                         (program ? ", runs " + program->string() : std::string()) + ")");
  if (!program) part.problems.push_back("hooks.on_change: cannot run " + program.error().message);
  return part;
}

} // namespace tasksync
