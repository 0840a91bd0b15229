#include "run/config_check.hpp"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "base/git_handles.hpp"
#include "git/mirror.hpp"
#include "secrets/http_secrets.hpp"
#include "secrets/signing_key.hpp"

namespace tasksync {

CheckedPart check_repository_path(const std::filesystem::path &path) {
  CheckedPart part;
  const std::string shown = "repo.path " + path.string();
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    if (!std::filesystem::is_directory(path, error)) {
      part.summary.push_back("repository: " + path.string() + " (not a directory)");
      part.problems.push_back(shown + ": it exists and is not a directory");
      return part;
    }
    const bool repository = std::filesystem::exists(path / ".git", error);
    const bool empty = !repository && std::filesystem::is_empty(path, error);
    part.summary.push_back("repository: " + path.string() +
                           (repository ? " (a git repository)"
                            : empty    ? " (an empty directory: git init on the first pass)"
                                       : " (neither a git repository nor empty)"));
    if (!repository && !empty) {
      part.problems.push_back(shown + ": it is neither a git repository with a work tree nor an empty directory");
    }
    if (repository) {
      ensure_libgit2();
      git_repository *raw = nullptr;
      if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) == 0) {
        const RepositoryPtr opened(raw);
        if (auto shallow = Mirror::refuse_shallow(opened.get(), path.string()); !shallow) {
          part.problems.push_back(shallow.error().message);
        }
      }
    }
    if (::access(path.c_str(), W_OK | X_OK) != 0) {
      part.problems.push_back("cannot write " + shown + ": " + std::strerror(errno));
    }
    return part;
  }
  // The first missing directory tells: its parent must let us create it.
  std::filesystem::path missing = path;
  while (missing.has_parent_path() && missing.parent_path() != missing &&
         !std::filesystem::exists(missing.parent_path(), error)) {
    missing = missing.parent_path();
  }
  part.summary.push_back("repository: " + path.string() + " (missing: created with git init on the first pass)");
  if (::mkdir(missing.c_str(), 0700) != 0) {
    part.problems.push_back(shown + " cannot be created: mkdir " + missing.string() + ": " + std::strerror(errno));
  } else {
    ::rmdir(missing.c_str());
  }
  return part;
}

CheckedPart check_signing_key(const RepoSettings &repo) {
  CheckedPart part;
  if (!repo.signing_key_file) {
    part.summary.push_back("signing: none (repo.signing_key_file is not set): commits are not signed");
    return part;
  }
  const std::string shown = repo.signing_key_name() + " " + repo.signing_key_file->string();
  auto key = SigningKey::load(*repo.signing_key_file, repo.signing_key_name());
  if (!key) {
    part.summary.push_back("signing: " + shown + " (unusable)");
    part.problems.push_back(key.error().message);
    part.config_error = true;
    return part;
  }
  part.summary.push_back("signing: " + shown + " (ssh-ed25519 " + (*key)->fingerprint() + ")");
  return part;
}

CheckedPart check_http_secrets(const HttpSettings &http) {
  CheckedPart part;
  const HttpSecretFiles files = read_http_secret_files(http);
  if (files.sync_token) {
    part.summary.push_back("POST /sync: token in " + http.sync_token_file->string());
    if (const auto &token = *files.sync_token; !token) {
      part.problems.push_back(token.error().message);
      part.config_error = true;
    }
  }
  if (files.webhook_secrets) {
    const auto &secrets = *files.webhook_secrets;
    const std::string file = http.webhook_secret_file->string();
    part.summary.push_back("POST /webhooks/anchorbrowser: " +
                           (!secrets               ? "secret in " + file + " (unusable)"
                            : secrets->size() == 1 ? "1 secret in " + file
                                                   : "2 secrets in " + file + " (new and old, while rotating)"));
    if (!secrets) {
      part.problems.push_back(secrets.error().message);
      part.config_error = true;
    }
  }
  return part;
}

std::vector<CheckedPart> check_what_a_run_needs(const Config &config, bool outside_unit) {
  return {check_repository_path(config.repo.path), check_signing_key(config.repo),
          check_push(config.repo.push, outside_unit), check_hooks(config.hooks), check_http_secrets(config.http)};
}

} // namespace tasksync
