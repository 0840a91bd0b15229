#pragma once

#include <filesystem>
#include <vector>

#include "config/config.hpp"
#include "publish/publish_check.hpp"

namespace tasksync {

// repo.path as a pass will need it, checked without changing anything that stays: an existing
// git work tree or empty directory this process may write, or a path it can create (the first
// missing directory is made and removed again, so /proc/nope fails as a pass would).
CheckedPart check_repository_path(const std::filesystem::path &path);

// repo.signing_key_file loaded as a run would load it: "signing: <file> (ssh-ed25519 SHA256:...)",
// or a problem naming the file and the reason; "signing: none" without one.
CheckedPart check_signing_key(const RepoSettings &repo);

// The files of http.sync_token_file and http.webhook_secret_file, read as the daemon reads them
// at its start, with how many secrets the webhook's holds (never them; nothing in the summary
// when neither is set).
CheckedPart check_http_secrets(const HttpSettings &http);

// What --check-config checks beyond the file itself: the repository path, the signing key,
// the push, the hooks and the status server's secrets;
// `outside_unit` as for check_push().
std::vector<CheckedPart> check_what_a_run_needs(const Config &config, bool outside_unit = false);

} // namespace tasksync
