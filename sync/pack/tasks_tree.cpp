#include "pack/tasks_tree.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "pack/object_id.hpp"

namespace tasksync {
namespace {

// git orders tree entries by name, a directory's name compared as if it ended with '/'.
int compare(std::string_view a, bool a_directory, std::string_view b, bool b_directory) {
  const std::size_t common = std::min(a.size(), b.size());
  if (const int order = std::memcmp(a.data(), b.data(), common); order != 0) return order;
  const auto next = [&](std::string_view name, bool directory) {
    return name.size() > common ? static_cast<unsigned char>(name[common]) : (directory ? '/' : '\0');
  };
  return static_cast<int>(next(a, a_directory)) - static_cast<int>(next(b, b_directory));
}

} // namespace

Result<TasksTree> TasksTree::parse(std::string raw) {
  TasksTree tree;
  for (std::size_t at = 0; at < raw.size();) {
    const std::size_t space = raw.find(' ', at);
    const std::size_t nul = space == std::string::npos ? space : raw.find('\0', space);
    if (nul == std::string::npos || nul + 1 + GIT_OID_RAWSZ > raw.size()) {
      return Error{"malformed tree entry at byte " + std::to_string(at)};
    }
    tree.m_offsets.push_back(at);
    at = nul + 1 + GIT_OID_RAWSZ;
  }
  tree.m_raw = std::move(raw);
  return tree;
}

TasksTree::Entry TasksTree::at(std::size_t index) const {
  const std::string_view raw = m_raw;
  const std::size_t start = m_offsets[index];
  const std::size_t space = raw.find(' ', start);
  const std::size_t nul = raw.find('\0', space);
  unsigned mode = 0;
  std::from_chars(raw.data() + start, raw.data() + space, mode, 8);
  Entry entry{raw.substr(space + 1, nul - space - 1), static_cast<git_filemode_t>(mode), {}};
  std::memcpy(entry.id.id, raw.data() + nul + 1, GIT_OID_RAWSZ);
  return entry;
}

std::size_t TasksTree::lower_bound(std::string_view name, bool directory) const {
  std::size_t low = 0;
  std::size_t high = m_offsets.size();
  while (low < high) {
    const std::size_t middle = low + (high - low) / 2;
    const Entry entry = at(middle);
    if (compare(entry.name, entry.mode == GIT_FILEMODE_TREE, name, directory) < 0)
      low = middle + 1;
    else
      high = middle;
  }
  return low;
}

std::optional<std::size_t> TasksTree::index_of(std::string_view name) const {
  // A name is unique in a tree, but where it sorts depends on whether it is a directory.
  for (const bool directory : {true, false}) {
    const std::size_t index = lower_bound(name, directory);
    if (index < m_offsets.size() && at(index).name == name) return index;
  }
  return std::nullopt;
}

std::optional<TasksTree::Entry> TasksTree::find(std::string_view name) const {
  const auto index = index_of(name);
  if (!index) return std::nullopt;
  return at(*index);
}

git_oid TasksTree::id() const { return object_id(GIT_OBJECT_TREE, m_raw); }

void TasksTree::remove(std::string_view name) {
  const auto index = index_of(name);
  if (!index) return;
  const std::size_t start = m_offsets[*index];
  const std::size_t end = *index + 1 < m_offsets.size() ? m_offsets[*index + 1] : m_raw.size();
  m_raw.erase(start, end - start);
  m_offsets.erase(m_offsets.begin() + static_cast<std::ptrdiff_t>(*index));
  for (std::size_t i = *index; i < m_offsets.size(); ++i)
    m_offsets[i] -= end - start;
}

void TasksTree::set(std::string_view name, git_filemode_t mode, const git_oid &id) {
  remove(name);
  char mode_text[8];
  std::snprintf(mode_text, sizeof mode_text, "%o", static_cast<unsigned>(mode));
  std::string entry = std::string(mode_text) + " " + std::string(name);
  entry.push_back('\0');
  entry.append(reinterpret_cast<const char *>(id.id), GIT_OID_RAWSZ);
  const std::size_t index = lower_bound(name, mode == GIT_FILEMODE_TREE);
  const std::size_t start = index < m_offsets.size() ? m_offsets[index] : m_raw.size();
  m_raw.insert(start, entry);
  m_offsets.insert(m_offsets.begin() + static_cast<std::ptrdiff_t>(index), start);
  for (std::size_t i = index + 1; i < m_offsets.size(); ++i)
    m_offsets[i] += entry.size();
}

} // namespace tasksync
