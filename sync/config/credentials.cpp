#include "config/credentials.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>

#include "base/file_descriptor.hpp"
#include "config/config.hpp"

namespace tasksync {
namespace {

// The placeholder is SetCredential=ID:\n; a real key or token is never this small.
bool only_white_space(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false; // unreadable: it is there, and reading it later says why it fails
  char buffer[64];
  in.read(buffer, sizeof buffer);
  const std::streamsize got = in.gcount();
  if (got == static_cast<std::streamsize>(sizeof buffer)) return false;
  for (std::streamsize i = 0; i < got; ++i) {
    if (buffer[i] != '\n' && buffer[i] != '\r' && buffer[i] != ' ' && buffer[i] != '\t') return false;
  }
  return true;
}

} // namespace

CredentialSources credential_sources_from_environment() {
  CredentialSources sources;
  if (const char *dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) sources.directory = dir;
  return sources;
}

CredentialSources credential_sources_for_check() {
  CredentialSources sources = credential_sources_from_environment();
  if (!sources.directory) sources.unit_sources = std::filesystem::path(kUnitCredentialSources);
  return sources;
}

std::optional<FoundCredential> find_credential(const CredentialSources &sources, std::string_view id) {
  const std::string name(id);
  std::error_code ignored;
  if (sources.directory) {
    const auto file = *sources.directory / name;
    if (std::filesystem::exists(file, ignored) && !only_white_space(file)) {
      return FoundCredential{file, "systemd credential " + name};
    }
    return std::nullopt;
  }
  if (sources.unit_sources) {
    const auto file = *sources.unit_sources / name;
    if (std::filesystem::exists(file, ignored)) {
      return FoundCredential{file, "the unit's credential " + name};
    }
  }
  return std::nullopt;
}

void resolve_file_credentials(Config &config, const CredentialSources &sources) {
  RepoSettings &repo = config.repo;
  if (!repo.signing_key_file) {
    if (auto found = find_credential(sources, kSigningKeyCredential)) {
      repo.signing_key_file = found->file;
      repo.signing_key_source = found->source;
    }
  }
  if (!repo.push) return;
  PushSettings &push = *repo.push;
  if (!push.ssh_key_file) {
    if (auto found = find_credential(sources, kPushSshKeyCredential)) {
      push.ssh_key_file = found->file;
      push.ssh_key_source = found->source;
    }
  }
  if (!push.token_file) {
    if (auto found = find_credential(sources, kPushTokenCredential)) {
      push.token_file = found->file;
      push.token_source = found->source;
    }
  }
}

Result<void> check_readable(const std::filesystem::path &file, const std::string &what, std::string_view credential) {
  const std::string prefix = "cannot read " + what + " " + file.string() + ": ";
  // O_NONBLOCK: a FIFO without a writer must not hold us.
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.is_open()) {
    const int error = errno;
    std::string message = prefix + std::strerror(error);
    if (error == EACCES && !credential.empty()) {
      message += " (the service's dynamic user cannot read root's files: put it at " +
                 std::string(kUnitCredentialSources) + "/" + std::string(credential) +
                 ", which the unit hands over as the systemd credential " + std::string(credential) +
                 ", and leave the config key unset)";
    }
    return Error{message};
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return Error{prefix + std::strerror(errno)};
  if (!S_ISREG(status.st_mode)) return Error{prefix + "not a regular file"};
  return {};
}

Result<std::string> read_key_file(const std::filesystem::path &file, const std::string &what,
                                  std::string_view credential) {
  constexpr std::size_t kLargestKeyFile = 64 * 1024;
  TRY(check_readable(file, what, credential));
  std::ifstream in(file, std::ios::binary);
  std::string text(kLargestKeyFile + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Error{"cannot read " + what + " " + file.string() + ": " + std::strerror(errno)};
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kLargestKeyFile) return Error{what + " " + file.string() + " is larger than any ssh key (64 KiB)"};
  return text;
}

} // namespace tasksync
