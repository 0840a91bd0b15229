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

// What --check-config checks beyond the file itself: the repository path, the push and the hooks;
// `outside_unit` as for check_push().
std::vector<CheckedPart> check_what_a_run_needs(const Config &config, bool outside_unit = false);

} // namespace tasksync
