#pragma once

#include <git2.h>

#include <cstddef>
#include <filesystem>

#include "base/result.hpp"

namespace tasksync {

// Loose objects in a repository, estimated as git's `gc --auto` does: the files in one of the
// 256 fan-out directories, times 256. Cheap enough to ask after every pass.
std::size_t estimate_loose_objects(git_repository *repo);

// Packs every loose object into one new pack and removes the loose copies: libgit2 has no
// `git gc`, and one commit per change would otherwise pile up loose objects (inodes, slow
// history) without bound. The pack is complete and indexed before any loose file goes, so a
// crash or a concurrent reader never misses an object. Returns the number of objects packed.
Result<std::size_t> pack_loose_objects(git_repository *repo);

// Keeps the number of packs bounded, as `git repack --geometric=2 -d` does: when more than
// `max_packs` packs exist (those with a .keep file are left alone and not counted), merges the
// smallest into one new pack so that each pack left holds at least twice the objects of all
// smaller ones together and at most `max_packs` are left; a big old pack is rarely rewritten.
// The new pack is written, and checked to hold every object, before a merged pack goes.
// Returns the number of packs merged (0: nothing to do).
Result<std::size_t> consolidate_packs(git_repository *repo, std::size_t max_packs);

} // namespace tasksync
