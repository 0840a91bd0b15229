#pragma once

#include <git2.h>

#include <cstddef>
#include <string_view>

#include "base/result.hpp"
#include "pack/pack_writer.hpp"

namespace tasksync {

// The new objects of a repository, written as they come into one pack file (see PackWriter)
// that becomes part of the repository when write_pack() completes it: a pass that commits a
// thousand tasks costs one pack and one fsync instead of a loose file and an fsync per object,
// and leaves no loose objects behind. Not thread-safe.
class ObjectBatch {
public:
  // From now on, every object written through `repo` (until the handle is freed) goes into
  // the returned batch instead of a loose file. Reads see the batch first.
  static Result<ObjectBatch> attach(git_repository *repo);

  // Removes the unfinished packs a batch left behind when its process died. Only for the one
  // process that may write the repository (it holds the instance lock).
  static void remove_leftovers(git_repository *repo);

  // Writes an object directly, its id computed with OpenSSL (see pack/object_id.hpp); for the big
  // trees, which libgit2 would hash several times slower.
  Result<git_oid> write(git_object_t type, std::string_view content);

  // Bytes of the pack so far.
  std::size_t bytes() const;

  // Objects written so far.
  std::size_t size() const;

  // Completes the pack (its index too), fsyncs it and makes it part of the repository. Nothing
  // to do when empty.
  Result<void> write_pack();

  // Drops every object written and the unfinished pack (they were never made reachable).
  void discard();

  // Lets git repack the packs written so far like any other (see PackWriter::finish): call it
  // once a ref names their objects, or once they are given up.
  void release_packs();

private:
  ObjectBatch(git_repository *repo, PackWriter *writer) : m_repo(repo), m_writer(writer) {}

  git_repository *m_repo;
  PackWriter *m_writer; // owned by the repository's object database, freed with it
};

} // namespace tasksync
