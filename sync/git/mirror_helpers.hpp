#pragma once

#include <algorithm>
#include <string>

#include "base/git_handles.hpp"
#include "base/result.hpp"
#include "config/config.hpp"

// Small helpers shared by the files that implement Mirror (git/mirror_*.cpp), and no others.
namespace tasksync::mirror_detail {

// "refs/heads/<repo.branch>".
inline std::string branch_ref(const RepoSettings &settings) { return "refs/heads/" + settings.branch; }

// The entry of `entries` called `name`, or end().
template <typename Entries>
auto find_named(const Entries &entries, const std::string &name) {
  return std::find_if(entries.begin(), entries.end(), [&](const auto &entry) { return entry.name == name; });
}

} // namespace tasksync::mirror_detail
