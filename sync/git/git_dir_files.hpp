#pragma once

#include <git2.h>

#include <filesystem>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// Files below a repository's git directory that tasksync writes, or that libgit2 writes for it,
// reached from the git directory one component at a time without following a symlink (see
// WorkTree), so that a link planted there never makes tasksync write outside the repository.
// The lock file is InstanceLock's; refs, the index and packs are written under a new name
// (O_EXCL) and renamed into place, which replaces a link and never follows it.

// Adds to <git dir>/info/attributes (creating it) the line that keeps every attribute that
// converts content (eol, text, filter, ident, working-tree-encoding) off the task directories,
// keeping what a person wrote there; writes nothing when the line is there. For git and libgit2
// alike the task files then hold what HEAD holds, whatever a .gitattributes says. An error naming
// the file when it, or info/, is a symlink or anything else git does not make there: tasksync
// never writes through one, nor takes a person's file away.
Result<void> ensure_task_attributes(const std::filesystem::path &git_dir);

// Makes way for libgit2 to append to the reflogs of `ref` (logs/<ref>, and logs/HEAD): libgit2
// opens them with O_CREAT|O_APPEND, following a link. A symlink, FIFO, socket or device there,
// or in place of a directory on the way, is removed (the entry itself, never its target) and
// logged; the reflog then starts afresh, as git's own reflogs are the repository's and nothing
// else.
void clear_reflog_paths(git_repository *repo, const std::string &ref);

} // namespace tasksync
