#pragma once

#include <git2.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// The content of object `id` of `type` from the packs in `objects` (a repository's objects
// directory), its delta chain applied one delta at a time: only the object being built, its base
// and one delta are in memory. libgit2 instead caches every base of the chain (up to 16 MB per
// pack, for as long as the repository is open): for HEAD's tasks/ tree, read at each pass, that
// was 9.4 MB at 10,000 tasks. None when no pack holds it or its chain has an entry this reader
// does not take (REF_DELTA): read it through libgit2 then. An error when the pack is corrupt or
// the content is not the object asked for.
Result<std::optional<std::string>> read_packed_object(const std::filesystem::path &objects, const git_oid &id,
                                                      git_object_t type);

} // namespace tasksync
