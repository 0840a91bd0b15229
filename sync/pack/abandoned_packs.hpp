#pragma once

#include <filesystem>

namespace tasksync {

// Removes the temporary packs (pack_git2_*) that libgit2's indexer leaves in `pack_dir` (a
// repository's objects/pack) when its process dies mid-transfer (a push to a local path, a
// fetch), which no git command ever removes. Only files that no process has open are removed
// (Linux write leases tell): a transfer in progress, ours or another mirror's, keeps its file.
// A file that cannot be checked is left alone. Returns how many were removed.
int remove_abandoned_packs(const std::filesystem::path &pack_dir);

} // namespace tasksync
