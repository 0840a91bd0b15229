// Crash recovery: a lost index rebuilt from HEAD, and tasks/ in the work tree and index put back
// to what HEAD holds.
#include "git/mirror.hpp"

#include <sys/stat.h>

#include <set>

#include "base/log.hpp"
#include "pack/object_id.hpp"
#include "git/mirror_helpers.hpp"

namespace tasksync {

using namespace mirror_detail;

namespace {

// The name of the entry of tasks/ that `path` ("tasks/<name>" or below) is in; empty for a path
// outside tasks/.
std::string_view task_named_by(std::string_view path) {
  constexpr std::string_view kTasks = "tasks/";
  if (!path.starts_with(kTasks)) return {};
  path.remove_prefix(kTasks.size());
  return path.substr(0, path.find('/'));
}

} // namespace

Result<void> Mirror::rebuild_index_if_lost() {
  // libgit2 never fsyncs .git/index: after a power cut it may be missing or torn. HEAD is
  // durable, so the index is rebuilt from it (what was staged by hand is lost with the file).
  const std::filesystem::path file = std::filesystem::path(git_repository_path(m_repo.get())) / "index";
  git_index *raw = nullptr;
  int rc = git_repository_index(&raw, m_repo.get());
  bool rebuild = false;
  if (rc < 0) {
    log::warning("repository: " + file.string() + " is unreadable (" + git_error_text(rc) + "); rebuilding it from HEAD");
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

  // The work tree against the index: stat data, and a hash only of files whose stat changed.
  git_status_options options;
  git_status_options_init(&options, GIT_STATUS_OPTIONS_VERSION);
  options.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
  // NO_REFRESH: the index compared is the one index() gave, this pass's changes included.
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS | GIT_STATUS_OPT_NO_REFRESH;
  char tasks_dir[] = "tasks/";
  char *pathspec[] = {tasks_dir};
  options.pathspec = {pathspec, 1};
  git_status_list *raw = nullptr;
  if (const int rc = git_status_list_new(&raw, m_repo.get(), &options); rc < 0) {
    return git_error("cannot compare tasks/ with the index", rc);
  }
  const StatusListPtr list(raw);
  for (std::size_t i = 0; i < git_status_list_entrycount(raw); ++i) {
    if (const git_diff_delta *delta = git_status_byindex(raw, i)->index_to_workdir) {
      for (const char *path : {delta->old_file.path, delta->new_file.path}) {
        if (path && is_task_id(task_named_by(path))) paths.insert(path);
      }
    }
  }
  for (const std::string &path : paths) {
    TRY(restore_path(tree.get(), index_result, path));
  }
  if (!paths.empty()) m_index_dirty = true;
  return m_index_dirty ? write_index() : Result<void>{};
}

Result<void> Mirror::add_index_differences(const git_tree *head_tree, git_index *index,
                                           std::set<std::string> &paths) const {
  // One task directory at a time, without reading HEAD's copy of it: the directory's tree id,
  // computed from its index entries, either is the id HEAD has for it or not.
  TRY_ASSIGN(auto tasks_result, tasks_tree(head_tree));
  const TasksTree &tasks = *tasks_result;
  std::set<std::string, std::less<>> in_index;
  auto add_head_files = [&](const TasksTree::Entry &entry) -> Result<void> {
    const std::string path = "tasks/" + std::string(entry.name);
    if (entry.mode != GIT_FILEMODE_TREE) {
      paths.insert(path);
      return {};
    }
    git_tree *raw = nullptr;
    if (const int rc = git_tree_lookup(&raw, m_repo.get(), &entry.id); rc < 0) {
      return git_error("cannot read " + path + " in HEAD", rc);
    }
    const TreePtr subtree(raw);
    struct Walk {
      std::string prefix;
      std::set<std::string> *paths;
    } walk{path + "/", &paths};
    git_tree_walk(
        raw, GIT_TREEWALK_PRE,
        [](const char *root, const git_tree_entry *file, void *payload) {
          auto *into = static_cast<Walk *>(payload);
          if (git_tree_entry_type(file) == GIT_OBJECT_BLOB) into->paths->insert(into->prefix + root + git_tree_entry_name(file));
          return 0;
        },
        &walk);
    return {};
  };
  const std::size_t count = git_index_entrycount(index);
  for (std::size_t i = 0; i < count;) {
    const std::string_view path = git_index_get_byindex(index, i)->path;
    if (!path.starts_with("tasks/")) {
      ++i;
      continue;
    }
    const std::size_t slash = path.find('/', 6);
    const std::string name(task_named_by(path));
    in_index.insert(name);
    // A directory's entries are next to each other: they share "tasks/<name>/".
    const std::string prefix = "tasks/" + name + (slash == std::string_view::npos ? "" : "/");
    TasksTree have = std::move(TasksTree::parse("").value());
    bool comparable = true;
    std::vector<std::string> files;
    for (; i < count; ++i) {
      const git_index_entry *entry = git_index_get_byindex(index, i);
      const std::string_view file = entry->path;
      if (slash == std::string_view::npos ? file != prefix : !file.starts_with(prefix)) break;
      files.emplace_back(file);
      const std::string_view rest = file.substr(prefix.size());
      if (rest.find('/') != std::string_view::npos || GIT_INDEX_ENTRY_STAGE(entry) != 0) comparable = false;
      else if (slash != std::string_view::npos) have.set(rest, static_cast<git_filemode_t>(entry->mode), entry->id);
    }
    const auto in_head = tasks.find(name);
    bool same = comparable && in_head.has_value();
    if (same && slash == std::string_view::npos) {
      const git_index_entry *entry = git_index_get_byindex(index, i - 1);
      same = in_head->mode == static_cast<git_filemode_t>(entry->mode) && git_oid_equal(&in_head->id, &entry->id);
    } else if (same) {
      const git_oid id = have.id();
      same = in_head->mode == GIT_FILEMODE_TREE && git_oid_equal(&in_head->id, &id);
    }
    if (same || !is_task_id(name)) continue; // a person's file beside the tasks stays as it is
    paths.insert(files.begin(), files.end());
    if (in_head) {
      if (auto added = add_head_files(*in_head); !added) return added;
    }
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TasksTree::Entry entry = tasks.at(i);
    if (in_index.count(entry.name) > 0 || !is_task_id(entry.name)) continue;
    if (auto added = add_head_files(entry); !added) return added;
  }
  return {};
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
  if (on_disk) {
    if (const git_oid id = object_id(GIT_OBJECT_BLOB, *on_disk); git_oid_equal(&id, head_id)) {
      // Only the index is behind (a crash between commit and index write): no file to rewrite.
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
