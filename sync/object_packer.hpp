#pragma once

#include <git2.h>

#include <cstddef>
#include <filesystem>

#include "result.hpp"

namespace tasksync {

// Loose objects in a repository, estimated as git's `gc --auto` does: the files in one of the
// 256 fan-out directories, times 256. Cheap enough to ask after every pass.
std::size_t estimate_loose_objects(git_repository *repo);

// Packs every loose object into one new pack and removes the loose copies: libgit2 has no
// `git gc`, and one commit per change would otherwise pile up loose objects (inodes, slow
// history) without bound. The pack is complete and indexed before any loose file goes, so a
// crash or a concurrent reader never misses an object. Returns the number of objects packed.
Result<std::size_t> pack_loose_objects(git_repository *repo);

} // namespace tasksync
