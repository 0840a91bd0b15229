#pragma once

#include <git2.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tasksync {

// A git tree object held as its raw bytes, with an index of its entries: the tasks/ directory
// has one entry per task (630 KB at 10,000 tasks), and finding or replacing one entry costs a
// binary search and a memmove here, where libgit2 would parse, sort and re-serialize them all.
class TasksTree {
public:
  // One entry of the tree.
  struct Entry {
    std::string_view name;
    git_filemode_t mode;
    git_oid id;
  };

  // The tree whose raw content is `raw` (empty: the empty tree); an error if it is malformed.
  static Result<TasksTree> parse(std::string raw);

  // The entry at `index` (below size()), in git's order.
  Entry at(std::size_t index) const;

  // The entry named `name` (a directory or a file), if any.
  std::optional<Entry> find(std::string_view name) const;

  // Makes `name` an entry with `mode` and `id`, replacing any entry of that name.
  void set(std::string_view name, git_filemode_t mode, const git_oid &id);

  // Removes the entry named `name`, if any.
  void remove(std::string_view name);

  // The raw tree object, entries in git's order.
  const std::string &raw() const { return m_raw; }

  // The tree's object id.
  git_oid id() const;

  // Entries in the tree.
  std::size_t size() const { return m_offsets.size(); }

private:
  // The index of the first entry not before (name, mode) in git's order.
  std::size_t lower_bound(std::string_view name, bool directory) const;
  std::optional<std::size_t> index_of(std::string_view name) const;

  std::string m_raw;
  std::vector<std::size_t> m_offsets; // where each entry starts in m_raw
};

} // namespace tasksync
