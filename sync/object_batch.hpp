#pragma once

#include <git2.h>

#include <cstddef>

#include "result.hpp"

namespace tasksync {

// The new objects of a repository, held in memory until write_pack() stores them as one pack.
// A pass that commits a thousand tasks then costs one pack file and one fsync instead of a
// loose file and an fsync per object, and leaves no loose objects behind. Not thread-safe.
class ObjectBatch {
public:
  // The objects held, in the order written (defined in object_batch.cpp).
  struct Objects;

  // From now on, every object written through `repo` (until the handle is freed) goes into
  // the returned batch instead of a loose file. Reads see the batch first.
  static Result<ObjectBatch> attach(git_repository *repo);

  // Bytes of object content held in memory.
  std::size_t bytes() const;

  // Objects held in memory.
  std::size_t size() const;

  // Writes every object held into one new pack in the repository (made durable by libgit2,
  // which fsyncs the git directory) and then drops them from memory. Nothing to do when empty.
  Result<void> write_pack();

  // Drops every object held without writing it (they were never made reachable).
  void discard();

private:
  ObjectBatch(git_repository *repo, Objects *objects) : m_repo(repo), m_objects(objects) {}

  git_repository *m_repo;
  Objects *m_objects; // owned by the repository's object database, freed with it
};

} // namespace tasksync
