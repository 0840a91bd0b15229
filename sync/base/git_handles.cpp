#include "base/git_handles.hpp"

#include <mutex>

namespace tasksync {

void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
    // The mirror reads little through libgit2's cache (tasks/ is held by TasksTree), and an
    // import writes tens of thousands of objects it never reads again: a small cache (default
    // 256 MB) keeps the daemon's memory flat. libgit2 1.5.1 counts an object by its raw size
    // (cache.c), and a parsed commit takes about three times that: 2 MB held 5.6 MB of commits
    // at the end of a 10,000-task import; 256 KB still keeps the last few hundred.
    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, static_cast<ssize_t>(256) << 10);
    // Nor trees: tasksync holds tasks/ itself, and a list-driven pass reads each task directory's
    // tree once; cached, they stayed (2.1 MB of 10,000 two-entry trees after a pass at 10,000
    // tasks: the cache counts a tree's raw 70 bytes, the parsed one takes three times that).
    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, static_cast<size_t>(0));
    // libgit2 maps pack files whole (1 GB windows, 8 GB in all) and never unmaps them; each page
    // fault can map a large folio of the file, so a pass that reads 100 small trees of a 30 MB
    // pack held 22 MB of it. Small windows, few of them mapped at once, bound that: a list-driven
    // pass reads every task's task.json, and 8 MB mapped cost 5 MB more RSS than 2 MB at 10,000
    // tasks for no measurable time.
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, static_cast<size_t>(1) << 20);
    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, static_cast<size_t>(2) << 20);
  });
}

std::string git_error_text(int code) {
  const ::git_error *error = git_error_last(); // libgit2's type, not tasksync::git_error()
  if (error && error->message) return error->message;
  return "libgit2 error " + std::to_string(code);
}

Error git_error(const std::string &what, int code) { return Error{what + ": " + git_error_text(code)}; }

} // namespace tasksync
