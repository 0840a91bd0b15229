#pragma once

#include <git2.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/git_handles.hpp"
#include "base/result.hpp"

namespace tasksync {

// One file of a task directory as HEAD holds it.
struct HeadFile {
  std::string name;
  git_oid id;
  std::string content;
};

// What HEAD holds for one task: its files, sorted by name as git sorts them.
struct HeadTask {
  std::vector<HeadFile> files;

  // The file called `name`, or null.
  const HeadFile *find(const std::string &name) const;
  // task.json's "version" when it is a string, else empty.
  std::string version() const;
};

// Reads task directories of HEAD from the fetch pool's threads while the mirror goes on
// committing: its own repository handle (a libgit2 handle is one thread's at a time) behind a
// lock, on the objects already on disk, which hold HEAD as the last pass recorded it.
class HeadReader {
public:
  // A reader of the repository whose git directory is `git_dir`.
  static Result<std::unique_ptr<HeadReader>> open(const std::filesystem::path &git_dir);

  // The files of the task directory tree `directory` (tasks/<task_id>/ in HEAD).
  Result<HeadTask> read(const git_oid &directory, const std::string &task_id);

private:
  explicit HeadReader(RepositoryPtr repo) : m_repo(std::move(repo)) {}

  std::mutex m_mutex;
  RepositoryPtr m_repo;
};

} // namespace tasksync
