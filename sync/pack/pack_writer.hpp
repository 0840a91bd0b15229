#pragma once

#include <git2.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// A git pack written one object at a time, the way git fast-import does: each object goes to
// the file as it comes (zlib level 1), and finish() fills in the count and the trailer, writes
// a version 2 index and fsyncs both. A big tree (tasks/, one entry per task) is stored as a
// delta against the previous big tree, "copy the common start, insert the new bytes, copy the
// common end", computed from what changed instead of searched for; chains stay within 250.
// Memory: a small entry per object and the latest big tree. Not thread-safe.
class PackWriter {
public:
  // An object's type and size.
  struct Header {
    git_object_t type;
    std::size_t size;
  };

  // A writer for a pack in `pack_dir` (a repository's objects/pack); the file appears there
  // as .tasksync-incoming-* with the first object.
  explicit PackWriter(std::filesystem::path pack_dir);
  // Removes the unfinished file, if any.
  ~PackWriter();
  PackWriter(const PackWriter &) = delete;
  PackWriter &operator=(const PackWriter &) = delete;

  // Appends an object whose id is `id` (nothing when the pack has it already).
  Result<void> add(const git_oid &id, std::string_view raw, git_object_t type);

  // The type and size of an object of this pack, if it has it.
  std::optional<Header> header(const git_oid &id) const;

  // An object of this pack, read back.
  Result<std::string> read(const git_oid &id);

  // Objects in the pack.
  std::size_t objects() const;

  // Bytes of the pack so far.
  std::uint64_t bytes() const;

  // Completes the pack and its index, durably, as pack-<checksum>.pack/.idx in the pack
  // directory, with a pack-<checksum>.keep that keeps a concurrent `git gc` from deleting it
  // until release_kept(); returns the index's path. The writer still answers reads until
  // discard().
  Result<std::filesystem::path> finish();

  // Removes the .keep files of the packs finished so far (also done when the writer is
  // destroyed): once a ref names their objects, git may repack them like any other.
  void release_kept();

  // Forgets every object and removes the file unless finish() put it in place.
  void discard();

  // Removes the unfinished packs and the .keep files of writers whose process died. Only for
  // the one process that may write the repository (it holds the instance lock).
  static void remove_leftovers(const std::filesystem::path &pack_dir);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace tasksync
