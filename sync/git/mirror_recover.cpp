// Recovery: a lost index rebuilt from HEAD, and the task directories in the work tree and index
// put back to what HEAD holds, at start-up and at the end of each pass.
#include "git/mirror.hpp"

#include <sys/stat.h>

#include <set>

#include "base/log.hpp"
#include "git/mirror_helpers.hpp"
#include "pack/object_id.hpp"

namespace tasksync {

using namespace mirror_detail;

Result<void> Mirror::rebuild_index_if_lost() {
  // libgit2 never fsyncs .git/index: after a power cut it may be missing or torn. HEAD is
  // durable, so the index is rebuilt from it (what was staged by hand is lost with the file).
  const std::filesystem::path file = std::filesystem::path(git_repository_path(m_repo.get())) / "index";
  git_index *raw = nullptr;
  int rc = git_repository_index(&raw, m_repo.get());
  bool rebuild = false;
  if (rc < 0) {
    log::warning("repository: " + file.string() + " is unreadable (" + git_error_text(rc) +
                 "); rebuilding it from HEAD");
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
    rc = git_repository_index(&raw, m_repo.get());
    if (rc < 0) return git_error("cannot open the index", rc);
    rebuild = true;
  }
  m_index.reset(raw);
  TRY_ASSIGN(auto head, head_commit());
  if (!head) return {}; // an unborn branch has nothing to rebuild from
  std::error_code error;
  if (!rebuild && !std::filesystem::exists(file, error)) {
    log::warning("repository: " + file.string() + " is missing; rebuilding it from HEAD");
    rebuild = true;
  }
  if (!rebuild) return {};
  TRY_ASSIGN(auto tree, tree_of(head));
  if (const int read = git_index_read_tree(m_index.get(), tree.get()); read < 0) {
    return git_error("cannot rebuild the index from HEAD", read);
  }
  m_index_dirty = true;
  return write_index();
}

Result<void> Mirror::restore_tasks_to_head() {
  TRY_ASSIGN(auto head, head_commit());
  TRY_ASSIGN(auto tree, tree_of(head));
  TRY_ASSIGN(auto index_result, index());
  std::set<std::string> paths;
  TRY(add_index_differences(tree.get(), index_result, paths));
  TRY(add_work_tree_differences(index_result, paths));
  for (const std::string &path : paths) {
    TRY(restore_path(tree.get(), index_result, path));
  }
  if (!paths.empty()) m_index_dirty = true;
  return m_index_dirty ? write_index() : Result<void>{};
}

Result<void> Mirror::restore_path(const git_tree *head_tree, git_index *index, const std::string &path) {
  git_tree_entry *raw = nullptr;
  const int rc = git_tree_entry_bypath(&raw, head_tree, path.c_str());
  if (rc == GIT_ENOTFOUND) {
    log::warning("repository: removing " + path + ": tasks/ holds only what the API sent, and HEAD does not have it");
    TRY(m_files->remove(path));
    const int removed = git_index_remove(index, path.c_str(), 0);
    if (removed < 0 && removed != GIT_ENOTFOUND) return git_error("cannot unindex " + path, removed);
    return {};
  }
  if (rc < 0) return git_error("cannot read " + path + " in HEAD", rc);
  const TreeEntryPtr entry(raw);
  if (git_tree_entry_type(entry.get()) == GIT_OBJECT_TREE) {
    // A directory in HEAD with something else in its place (a symlink): that goes, and the
    // files below, missing from the work tree now, are restored one by one.
    if (const auto status = m_files->status(path); status && !S_ISDIR(status->st_mode)) {
      log::warning("repository: removing " + path + ": HEAD holds a directory there");
      TRY(m_files->remove(path));
    }
    return {};
  }
  const git_oid *head_id = git_tree_entry_id(entry.get());
  TRY_ASSIGN(auto on_disk, m_files->read_regular(path));
  const auto status = m_files->status(path);
  if (on_disk && status && (status->st_mode & 0111) == 0) {
    if (const git_oid id = object_id(GIT_OBJECT_BLOB, *on_disk); git_oid_equal(&id, head_id)) {
      // Only the index is behind (a crash between commit and index write): no file to rewrite,
      // unless made executable (git would show the mode changed).
      log::info("repository: re-indexing " + path + " (the index was behind HEAD)");
      return add_to_index(index, path, *head_id);
    }
  }
  git_blob *blob_raw = nullptr;
  if (const int lookup = git_blob_lookup(&blob_raw, m_repo.get(), head_id); lookup < 0) {
    return git_error("cannot read " + path + " in HEAD", lookup);
  }
  const BlobPtr blob(blob_raw);
  log::warning("repository: restoring " + path + " to the version in HEAD (it differed in the work tree or index)");
  const std::string_view content(static_cast<const char *>(git_blob_rawcontent(blob.get())),
                                 static_cast<std::size_t>(git_blob_rawsize(blob.get())));
  TRY(m_files->write_file(path, content));
  return add_to_index(index, path, *head_id);
}

} // namespace tasksync
