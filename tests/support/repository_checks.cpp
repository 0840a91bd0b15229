#include "repository_checks.hpp"

#include "process.hpp"

namespace tasksync::test {

::testing::AssertionResult fsck_clean(const std::filesystem::path &repo) {
  const ProcessResult fsck = git(repo.string(), {"fsck", "--strict"});
  if (fsck.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << repo << ": git fsck --strict exited " << fsck.exit_code << ":\n"
                                       << fsck.out << fsck.err;
}

::testing::AssertionResult repository_consistent(const std::filesystem::path &repo) {
  if (auto fsck = fsck_clean(repo); !fsck) return fsck;
  const ProcessResult status = git(repo.string(), {"status", "--porcelain", "--untracked-files=all"});
  if (status.exit_code != 0 || !status.out.empty()) {
    return ::testing::AssertionFailure() << repo << ": the work tree or index differs from HEAD (git status exited "
                                         << status.exit_code << "):\n"
                                         << status.out << status.err;
  }
  const std::filesystem::path git_dir = repo / ".git";
  std::error_code error;
  if (std::filesystem::exists(git_dir / "index.lock", error)) {
    return ::testing::AssertionFailure() << repo << ": .git/index.lock was left behind";
  }
  for (auto entry = std::filesystem::recursive_directory_iterator(git_dir / "refs", error);
       !error && entry != std::filesystem::recursive_directory_iterator(); entry.increment(error)) {
    if (entry->path().extension() == ".lock") {
      return ::testing::AssertionFailure() << repo << ": " << std::filesystem::relative(entry->path(), repo).string()
                                           << " (a branch lock) was left behind";
    }
  }
  return ::testing::AssertionSuccess();
}

} // namespace tasksync::test
