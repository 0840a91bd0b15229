#include "secrets/secret_file.hpp"

#include "base/small_file.hpp"
#include "secrets/credential_sources.hpp"
#include "secrets/secret_text.hpp"

namespace tasksync {
namespace {

// How a secret or key file is read and named in errors (`named`), and what a refusal of the
// credential `credential`'s file adds: a config key pointing at root's file fails under the unit's
// dynamic user, and the credential is the way around it.
SmallFile secret_file(const std::filesystem::path &file, std::string named, std::string_view credential,
                      std::size_t limit, std::string holds) {
  std::string when_denied;
  if (!credential.empty()) {
    when_denied = "the service's dynamic user cannot read root's files: put it at " +
                  std::string(kUnitCredentialSources) + "/" + std::string(credential) +
                  ", which the unit hands over as the systemd credential " + std::string(credential) +
                  ", and leave the config key unset";
  }
  return {std::move(named), limit, std::move(holds), !in_credential_directory(file), std::move(when_denied)};
}

std::string cannot_read(const std::filesystem::path &file, const std::string &what) {
  return "cannot read " + what + " " + file.string();
}

} // namespace

Result<void> check_readable(const std::filesystem::path &file, const std::string &what, std::string_view credential) {
  TRY(open_regular_file(file, secret_file(file, cannot_read(file, what), credential, kSecretFileLimit, "a secret")));
  return {};
}

Result<std::string> read_key_file(const std::filesystem::path &file, const std::string &what,
                                  std::string_view credential) {
  return read_small_file(
      file, secret_file(file, cannot_read(file, what), credential, kKeyFileLimit, "an OpenSSH private key"));
}

Result<std::string> read_secret_text(const std::filesystem::path &file, std::string named) {
  return read_small_file(file, secret_file(file, std::move(named), {}, kSecretFileLimit, "a secret"));
}

Result<std::string> read_secret(const std::filesystem::path &file, const std::string &what,
                                std::string_view credential) {
  TRY_ASSIGN(std::string text, read_small_file(file, secret_file(file, cannot_read(file, what), credential,
                                                                 kSecretFileLimit, "a secret")));
  return accept_secret(std::move(text), what + " " + file.string());
}

} // namespace tasksync
