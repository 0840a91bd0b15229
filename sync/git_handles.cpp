#include "git_handles.hpp"

#include <mutex>

namespace tasksync {

void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    // The tasks/ tree holds one entry per task (500 KB at 10,000 tasks) and is read for every
    // task of every pass; by default libgit2 caches no tree over 4 KB and would inflate it each time.
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, static_cast<size_t>(16) << 20);
    // ...but an import creates thousands of such trees: bound the whole cache (default 256 MB).
    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(4) << 20);
  });
}

std::string git_error_text(int code) {
  const git_error *error = git_error_last();
  if (error && error->message) return error->message;
  return "libgit2 error " + std::to_string(code);
}

} // namespace tasksync
