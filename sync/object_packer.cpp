#include "object_packer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "git_handles.hpp"

namespace tasksync {
namespace {

std::filesystem::path objects_dir(git_repository *repo) {
  return std::filesystem::path(git_repository_path(repo)) / "objects";
}

bool is_hex(const std::string &text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Every loose object: objects/xx/<38 hex digits>, with its file.
std::vector<std::pair<git_oid, std::filesystem::path>> loose_objects(git_repository *repo) {
  std::vector<std::pair<git_oid, std::filesystem::path>> found;
  std::error_code error;
  for (const auto &fanout : std::filesystem::directory_iterator(objects_dir(repo), error)) {
    const std::string prefix = fanout.path().filename().string();
    if (prefix.size() != 2 || !is_hex(prefix) || !fanout.is_directory(error)) continue;
    for (const auto &file : std::filesystem::directory_iterator(fanout.path(), error)) {
      const std::string rest = file.path().filename().string();
      if (rest.size() != GIT_OID_HEXSZ - 2 || !is_hex(rest)) continue; // temporary files and the like
      git_oid id;
      if (git_oid_fromstr(&id, (prefix + rest).c_str()) == 0) found.emplace_back(id, file.path());
    }
  }
  return found;
}

} // namespace

std::size_t estimate_loose_objects(git_repository *repo) {
  std::error_code error;
  std::size_t files = 0;
  for (auto it = std::filesystem::directory_iterator(objects_dir(repo) / "17", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++files;
  }
  return files * 256;
}

Result<std::size_t> pack_loose_objects(git_repository *repo) {
  const auto loose = loose_objects(repo);
  if (loose.empty()) return std::size_t{0};
  git_packbuilder *raw = nullptr;
  if (const int rc = git_packbuilder_new(&raw, repo); rc < 0) {
    return Error{"cannot start a pack: " + git_error_text(rc)};
  }
  const PackBuilderPtr builder(raw);
  for (const auto &[id, file] : loose) {
    if (const int rc = git_packbuilder_insert(builder.get(), &id, nullptr); rc < 0) {
      return Error{"cannot pack " + std::string(git_oid_tostr_s(&id)) + ": " + git_error_text(rc)};
    }
  }
  // With fsync of the git directory on, libgit2 makes the pack and its index durable here.
  if (const int rc = git_packbuilder_write(builder.get(), nullptr, 0, nullptr, nullptr); rc < 0) {
    return Error{"cannot write the pack: " + git_error_text(rc)};
  }
  for (const auto &[id, file] : loose) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  }
  for (const auto &[id, file] : loose) ::rmdir(file.parent_path().c_str()); // only the emptied ones go
  git_odb *odb = nullptr;
  if (git_repository_odb(&odb, repo) == 0) {
    git_odb_refresh(odb); // let this process see the new pack at once
    git_odb_free(odb);
  }
  return loose.size();
}

} // namespace tasksync
