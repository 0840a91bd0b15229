#include "git/mirror.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "pack/abandoned_packs.hpp"
#include "git/commit_replay.hpp"
#include "base/log.hpp"
#include "pack/object_packer.hpp"
#include "pack/object_id.hpp"
#include "git/work_tree.hpp"

namespace tasksync {
namespace {

Error git_failure(const std::string &what, int code) { return Error{what + ": " + git_error_text(code)}; }

std::string branch_ref(const RepoSettings &settings) { return "refs/heads/" + settings.branch; }

template <typename Entries>
auto find_named(const Entries &entries, const std::string &name) {
  return std::find_if(entries.begin(), entries.end(), [&](const auto &entry) { return entry.name == name; });
}

bool is_empty_directory(const std::filesystem::path &path) {
  std::error_code error;
  return std::filesystem::is_directory(path, error) && std::filesystem::is_empty(path, error);
}

} // namespace

Mirror::Mirror(RepoSettings settings, RepositoryPtr repo, std::filesystem::path work_tree)
    : m_settings(std::move(settings)), m_repo(std::move(repo)), m_work_tree(std::move(work_tree)) {}

Result<Mirror> Mirror::open(const RepoSettings &settings, Access access) {
  ensure_libgit2();
  const std::string path = settings.path.string();
  git_repository *raw = nullptr;
  std::error_code error;
  if (std::filesystem::exists(settings.path, error)) {
    const int rc = git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    if (rc == GIT_ENOTFOUND && !is_empty_directory(settings.path)) {
      return Error{"repository " + path + ": exists but is neither a git repository nor an empty directory; " +
                   "refusing to take it over"};
    }
    if (rc < 0 && rc != GIT_ENOTFOUND) return git_failure("cannot open repository " + path, rc);
  }
  if (!raw) {
    if (access == Access::read_only) return Mirror(settings, nullptr, settings.path);
    git_repository_init_options options;
    git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = settings.branch.c_str();
    if (const int rc = git_repository_init_ext(&raw, path.c_str(), &options); rc < 0) {
      return git_failure("cannot create repository " + path, rc);
    }
  }
  RepositoryPtr repo(raw);
  if (git_repository_is_bare(repo.get())) return Error{"repository " + path + ": is bare; tasksync needs a work tree"};
  std::filesystem::path work_tree = git_repository_workdir(repo.get());
  if (!work_tree.has_filename()) work_tree = work_tree.parent_path(); // libgit2 ends it with '/'

  git_reference *head_raw = nullptr;
  if (const int rc = git_reference_lookup(&head_raw, repo.get(), "HEAD"); rc < 0) {
    return git_failure("repository " + path + ": cannot read HEAD", rc);
  }
  const ReferencePtr head(head_raw);
  const std::string wanted = branch_ref(settings);
  // An unborn HEAD (fresh `git init` with another default branch) holds nothing to lose.
  if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC && git_reference_symbolic_target(head.get()) != wanted &&
      git_repository_head_unborn(repo.get()) == 1 && access == Access::read_write) {
    if (const int rc = git_repository_set_head(repo.get(), wanted.c_str()); rc < 0) {
      return git_failure("repository " + path + ": cannot point HEAD at " + wanted, rc);
    }
  }
  Mirror mirror(settings, std::move(repo), std::move(work_tree));
  if (access == Access::read_write) {
    auto lock = InstanceLock::acquire(git_repository_path(mirror.m_repo.get()), settings.path);
    if (!lock) return lock.error();
    mirror.m_lock.emplace(std::move(*lock));
    ObjectBatch::remove_leftovers(mirror.m_repo.get());
    remove_abandoned_packs(std::filesystem::path(git_repository_path(mirror.m_repo.get())) / "objects/pack");
    auto batch = ObjectBatch::attach(mirror.m_repo.get());
    if (!batch) return Error{"repository " + path + ": " + batch.error().message};
    mirror.m_batch.emplace(*batch);
    auto files = WorkTree::open(mirror.m_work_tree);
    if (!files) return Error{"repository " + path + ": " + files.error().message};
    mirror.m_files.emplace(std::move(*files));
    if (!mirror.checkout_on_branch()) return mirror;
    if (auto rebuilt = mirror.rebuild_index_if_lost(); !rebuilt) {
      return Error{"repository " + path + ": cannot rebuild the index: " + rebuilt.error().message};
    }
    if (auto restored = mirror.restore_tasks_to_head(); !restored) {
      return Error{"repository " + path + ": cannot restore tasks/ to HEAD: " + restored.error().message};
    }
  }
  return mirror;
}

bool Mirror::checkout_on_branch() {
  if (m_on_branch) return *m_on_branch;
  m_on_branch = checkout_follows(m_repo.get(), branch_ref(m_settings));
  if (*m_on_branch == m_told_other_checkout) {
    if (m_told_other_checkout) {
      log::info("repository: " + branch_ref(m_settings) + " is checked out again; tasksync updates its work tree and index");
    } else {
      git_reference *raw = nullptr;
      std::string checked_out = "a detached HEAD";
      if (git_reference_lookup(&raw, m_repo.get(), "HEAD") == 0) {
        const ReferencePtr head(raw);
        if (git_reference_type(raw) == GIT_REFERENCE_SYMBOLIC) checked_out = git_reference_symbolic_target(raw);
      }
      log::warning("repository: " + checked_out + " is checked out, not " + branch_ref(m_settings) +
                   ": tasksync commits to " + branch_ref(m_settings) +
                   " without touching the work tree or index until it is checked out again");
    }
    m_told_other_checkout = !*m_on_branch;
  }
  return *m_on_branch;
}

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
    if (rc < 0) return git_failure("cannot open the index", rc);
    rebuild = true;
  }
  m_index.reset(raw);
  auto head = head_commit();
  if (!head) return head.error();
  if (!*head) return {}; // an unborn branch has nothing to rebuild from
  std::error_code error;
  if (!rebuild && !std::filesystem::exists(file, error)) {
    log::warning("repository: " + file.string() + " is missing; rebuilding it from HEAD");
    rebuild = true;
  }
  if (!rebuild) return {};
  auto tree = tree_of(*head);
  if (!tree) return tree.error();
  if (const int read = git_index_read_tree(m_index.get(), tree->get()); read < 0) {
    return git_failure("cannot rebuild the index from HEAD", read);
  }
  m_index_dirty = true;
  return write_index();
}

Result<void> Mirror::restore_tasks_to_head() {
  auto head = head_commit();
  if (!head) return head.error();
  auto tree = tree_of(*head);
  if (!tree) return tree.error();
  auto index_result = index();
  if (!index_result) return index_result.error();
  std::set<std::string> paths;
  if (auto compared = add_index_differences(tree->get(), *index_result, paths); !compared) return compared.error();

  // The work tree against the index: stat data, and a hash only of files whose stat changed.
  git_status_options options;
  git_status_options_init(&options, GIT_STATUS_OPTIONS_VERSION);
  options.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
  options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
  char tasks_dir[] = "tasks/";
  char *pathspec[] = {tasks_dir};
  options.pathspec = {pathspec, 1};
  git_status_list *raw = nullptr;
  if (const int rc = git_status_list_new(&raw, m_repo.get(), &options); rc < 0) {
    return git_failure("cannot compare tasks/ with the index", rc);
  }
  const StatusListPtr list(raw);
  for (std::size_t i = 0; i < git_status_list_entrycount(raw); ++i) {
    if (const git_diff_delta *delta = git_status_byindex(raw, i)->index_to_workdir) {
      for (const char *path : {delta->old_file.path, delta->new_file.path}) {
        if (path) paths.insert(path);
      }
    }
  }
  if (paths.empty()) return {};
  for (const std::string &path : paths) {
    if (auto restored = restore_path(tree->get(), *index_result, path); !restored) return restored.error();
  }
  m_index_dirty = true;
  return write_index();
}

Result<void> Mirror::add_index_differences(const git_tree *head_tree, git_index *index,
                                           std::set<std::string> &paths) const {
  // One task directory at a time, without reading HEAD's copy of it: the directory's tree id,
  // computed from its index entries, either is the id HEAD has for it or not.
  auto tasks_result = tasks_tree(head_tree);
  if (!tasks_result) return tasks_result.error();
  const TasksTree &tasks = **tasks_result;
  std::set<std::string, std::less<>> in_index;
  auto add_head_files = [&](const TasksTree::Entry &entry) -> Result<void> {
    const std::string path = "tasks/" + std::string(entry.name);
    if (entry.mode != GIT_FILEMODE_TREE) {
      paths.insert(path);
      return {};
    }
    git_tree *raw = nullptr;
    if (const int rc = git_tree_lookup(&raw, m_repo.get(), &entry.id); rc < 0) {
      return git_failure("cannot read " + path + " in HEAD", rc);
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
    const std::string name(path.substr(6, slash == std::string_view::npos ? std::string_view::npos : slash - 6));
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
    if (same) continue;
    paths.insert(files.begin(), files.end());
    if (in_head) {
      if (auto added = add_head_files(*in_head); !added) return added;
    }
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TasksTree::Entry entry = tasks.at(i);
    if (in_index.count(entry.name) > 0) continue;
    if (auto added = add_head_files(entry); !added) return added;
  }
  return {};
}

Result<void> Mirror::restore_path(const git_tree *head_tree, git_index *index, const std::string &path) {
  git_tree_entry *raw = nullptr;
  const int rc = git_tree_entry_bypath(&raw, head_tree, path.c_str());
  if (rc == GIT_ENOTFOUND) {
    log::warning("repository: removing " + path + ": tasks/ holds only what the API sent, and HEAD does not have it");
    if (auto removed = m_files->remove(path); !removed) return removed.error();
    const int removed = git_index_remove(index, path.c_str(), 0);
    if (removed < 0 && removed != GIT_ENOTFOUND) return git_failure("cannot unindex " + path, removed);
    return {};
  }
  if (rc < 0) return git_failure("cannot read " + path + " in HEAD", rc);
  const TreeEntryPtr entry(raw);
  if (git_tree_entry_type(entry.get()) == GIT_OBJECT_TREE) {
    // A directory in HEAD with something else in its place (a symlink): that goes, and the
    // files below, missing from the work tree now, are restored one by one.
    if (const auto status = m_files->status(path); status && !S_ISDIR(status->st_mode)) {
      log::warning("repository: removing " + path + ": HEAD holds a directory there");
      if (auto removed = m_files->remove(path); !removed) return removed.error();
    }
    return {};
  }
  const git_oid *head_id = git_tree_entry_id(entry.get());
  auto on_disk = m_files->read_regular(path);
  if (!on_disk) return on_disk.error();
  if (*on_disk) {
    if (const git_oid id = object_id(GIT_OBJECT_BLOB, **on_disk); git_oid_equal(&id, head_id)) {
      // Only the index is behind (a crash between commit and index write): no file to rewrite.
      log::info("repository: re-indexing " + path + " (the index was behind HEAD)");
      return add_to_index(index, path, *head_id);
    }
  }
  git_blob *blob_raw = nullptr;
  if (const int lookup = git_blob_lookup(&blob_raw, m_repo.get(), head_id); lookup < 0) {
    return git_failure("cannot read " + path + " in HEAD", lookup);
  }
  const BlobPtr blob(blob_raw);
  log::warning("repository: restoring " + path + " to the version in HEAD (it differed in the work tree or index)");
  const std::string_view content(static_cast<const char *>(git_blob_rawcontent(blob.get())),
                                 static_cast<std::size_t>(git_blob_rawsize(blob.get())));
  if (auto written = m_files->write_file(path, content); !written) return written.error();
  return add_to_index(index, path, *head_id);
}

Result<std::optional<CommitPtr>> Mirror::head_commit() const {
  git_oid id;
  if (!m_pending.empty()) {
    id = m_pending.back().commit; // the pass builds on its own commits
  } else if (const int rc = git_reference_name_to_id(&id, m_repo.get(), branch_ref(m_settings).c_str()); rc < 0) {
    if (rc == GIT_ENOTFOUND) return std::optional<CommitPtr>{};
    return git_failure("cannot read " + branch_ref(m_settings), rc);
  }
  git_commit *commit = nullptr;
  if (const int lookup = git_commit_lookup(&commit, m_repo.get(), &id); lookup < 0) {
    return git_failure("cannot read the commit at " + branch_ref(m_settings), lookup);
  }
  return std::optional<CommitPtr>(CommitPtr(commit));
}

Result<TreePtr> Mirror::tree_of(const std::optional<CommitPtr> &head) const {
  git_tree *tree = nullptr;
  if (head) {
    if (const int rc = git_commit_tree(&tree, head->get()); rc < 0) return git_failure("cannot read HEAD's tree", rc);
    return TreePtr(tree);
  }
  // An unborn branch starts from the empty tree, which libgit2 knows without storing it.
  git_oid empty;
  git_oid_fromstr(&empty, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
  if (const int rc = git_tree_lookup(&tree, m_repo.get(), &empty); rc < 0) return git_failure("cannot read the empty tree", rc);
  return TreePtr(tree);
}

Result<const TasksTree *> Mirror::tasks_tree(const git_tree *root) const {
  std::optional<git_oid> id;
  if (const git_tree_entry *entry = git_tree_entry_byname(root, "tasks")) {
    if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
      return Error{"tasks in HEAD is not a directory; move it away so tasksync can mirror tasks"};
    }
    id = *git_tree_entry_id(entry);
  }
  const bool current = m_tasks && m_tasks_id.has_value() == id.has_value() && (!id || git_oid_equal(&*m_tasks_id, &*id));
  if (current) return &*m_tasks;
  std::string raw;
  if (id) {
    git_odb *odb_raw = nullptr;
    if (const int rc = git_repository_odb(&odb_raw, m_repo.get()); rc < 0) return git_failure("cannot read tasks/", rc);
    const OdbPtr odb(odb_raw);
    git_odb_object *object = nullptr;
    if (const int rc = git_odb_read(&object, odb.get(), &*id); rc < 0) return git_failure("cannot read tasks/ in HEAD", rc);
    raw.assign(static_cast<const char *>(git_odb_object_data(object)), git_odb_object_size(object));
    git_odb_object_free(object);
  }
  auto parsed = TasksTree::parse(std::move(raw));
  if (!parsed) return Error{"tasks/ in HEAD: " + parsed.error().message};
  m_tasks.emplace(std::move(*parsed));
  m_tasks_id = id;
  return &*m_tasks;
}

Result<std::vector<Mirror::Entry>> Mirror::entries_of(const git_oid &directory, const std::string &task_dir) const {
  git_tree *subtree = nullptr;
  if (const int lookup = git_tree_lookup(&subtree, m_repo.get(), &directory); lookup < 0) {
    return git_failure("cannot read " + task_dir + " in HEAD", lookup);
  }
  const TreePtr owned(subtree);
  std::vector<Entry> entries;
  for (std::size_t i = 0; i < git_tree_entrycount(subtree); ++i) {
    const git_tree_entry *child = git_tree_entry_byindex(subtree, i);
    entries.push_back({git_tree_entry_name(child), *git_tree_entry_id(child), git_tree_entry_filemode(child)});
  }
  return entries;
}

TasksTree Mirror::directory_of(const std::vector<Entry> &files) {
  TasksTree directory = std::move(TasksTree::parse("").value());
  for (const auto &file : files) directory.set(file.name, file.mode, file.id);
  return directory;
}

Result<Mirror::TaskState> Mirror::read_state(const std::string &task_id,
                                             const std::optional<Snapshot> &desired) const {
  const std::string task_dir = "tasks/" + task_id;
  TaskState state;
  if (desired) {
    for (const RenderedFile &file : desired->files) {
      state.want.push_back({file.name, object_id(GIT_OBJECT_BLOB, file.content), GIT_FILEMODE_BLOB});
    }
  }
  if (m_repo) {
    auto head = head_commit();
    if (!head) return head.error();
    state.head = std::move(*head);
    auto tree = tree_of(state.head);
    if (!tree) return tree.error();
    state.tree = std::move(*tree);
    auto tasks = tasks_tree(state.tree.get());
    if (!tasks) return tasks.error();
    if (const auto directory = (*tasks)->find(task_id)) {
      if (directory->mode != GIT_FILEMODE_TREE) {
        return Error{task_dir + " in HEAD is not a directory; move it away so tasksync can mirror the task"};
      }
      // The common case, a task that did not change, needs no read of its directory.
      if (const git_oid wanted = directory_of(state.want).id(); desired && git_oid_equal(&directory->id, &wanted)) {
        state.have = state.want;
        return state;
      }
      auto have = entries_of(directory->id, task_dir);
      if (!have) return have.error();
      state.have = std::move(*have);
    }
  }
  const bool same = state.want.size() == state.have.size() &&
                    std::all_of(state.want.begin(), state.want.end(), [&](const Entry &want) {
                      const auto have = find_named(state.have, want.name);
                      return have != state.have.end() && have->mode == want.mode && git_oid_equal(&have->id, &want.id);
                    });
  if (same) state.kind = ChangeKind::unchanged;
  else if (!desired) state.kind = ChangeKind::deleted;
  else if (state.have.empty()) state.kind = ChangeKind::added;
  else state.kind = ChangeKind::updated;
  return state;
}

Result<std::vector<FileChange>> Mirror::changes(const std::string &task_id,
                                                const std::optional<Snapshot> &desired) const {
  const std::string task_dir = "tasks/" + task_id;
  auto state = read_state(task_id, desired);
  if (!state) return state.error();
  std::vector<FileChange> result;
  auto content_in_head = [&](const Entry &entry) -> Result<std::string> {
    git_blob *raw = nullptr;
    if (const int rc = git_blob_lookup(&raw, m_repo.get(), &entry.id); rc < 0) {
      return git_failure("cannot read " + task_dir + "/" + entry.name + " in HEAD", rc);
    }
    const BlobPtr blob(raw);
    return std::string(static_cast<const char *>(git_blob_rawcontent(raw)), static_cast<std::size_t>(git_blob_rawsize(raw)));
  };
  for (std::size_t i = 0; i < state->want.size(); ++i) {
    const Entry &want = state->want[i];
    const auto have = find_named(state->have, want.name);
    if (have != state->have.end() && git_oid_equal(&have->id, &want.id)) continue;
    FileChange change{task_dir + "/" + want.name, std::nullopt, desired->files[i].content};
    if (have != state->have.end()) {
      auto before = content_in_head(*have);
      if (!before) return before.error();
      change.before = std::move(*before);
    }
    result.push_back(std::move(change));
  }
  for (const Entry &have : state->have) {
    if (find_named(state->want, have.name) != state->want.end() || have.mode == GIT_FILEMODE_TREE) continue;
    auto before = content_in_head(have);
    if (!before) return before.error();
    result.push_back({task_dir + "/" + have.name, std::move(*before), std::nullopt});
  }
  return result;
}

Result<std::vector<std::string>> Mirror::mirrored_tasks() const {
  std::vector<std::string> ids;
  if (!m_repo) return ids;
  auto head = head_commit();
  if (!head) return head.error();
  if (!*head) return ids;
  auto tree = tree_of(*head);
  if (!tree) return tree.error();
  auto tasks = tasks_tree(tree->get());
  if (!tasks) return tasks.error();
  for (std::size_t i = 0; i < (*tasks)->size(); ++i) {
    const TasksTree::Entry entry = (*tasks)->at(i);
    if (entry.mode == GIT_FILEMODE_TREE) ids.emplace_back(entry.name);
  }
  return ids;
}

Result<ChangeKind> Mirror::plan(const std::string &task_id, const std::optional<Snapshot> &desired) const {
  auto state = read_state(task_id, desired);
  if (!state) return state.error();
  return state->kind;
}

Result<Mirror::Applied> Mirror::apply(const std::optional<Snapshot> &desired, const CommitInfo &info) {
  if (!m_batch) return Error{"the repository is open read-only"};
  const std::string task_dir = "tasks/" + info.task_id;
  auto state = read_state(info.task_id, desired);
  if (!state) return state.error();
  if (state->kind == ChangeKind::unchanged) return Applied{};

  auto tree_id = write_tree(*state, info.task_id, desired);
  if (!tree_id) return tree_id.error();
  // Work tree before the branch: if recording fails, the files are put back to HEAD; a crash
  // leaves files HEAD lacks, which the next start restores.
  const bool on_branch = checkout_on_branch();
  if (on_branch) {
    if (auto written = update_work_tree(task_dir, desired, *state); !written) return written.error();
  }
  auto commit_id = write_commit(*state, *tree_id, info);
  if (!commit_id) return commit_id.error();
  if (m_pending.empty()) {
    m_pending_base.reset();
    if (state->head) m_pending_base = *git_commit_id(state->head->get());
  }
  m_pending.push_back({info.task_id, *commit_id});
  if (auto indexed = on_branch ? update_index(task_dir, *state) : Result<void>{}; !indexed) {
    return Error{"committed " + std::string(git_oid_tostr_s(&*commit_id)) +
                 " but could not update the index: " + indexed.error().message};
  }
  // A long pass (an import) records as it goes, so its memory stays bounded.
  if (m_batch->bytes() >= batch_limit) {
    if (auto recorded = record_commits(); !recorded) return recorded.error();
  }
  return Applied{state->kind, git_oid_tostr_s(&*commit_id)};
}

Result<void> Mirror::record_commits() {
  // The branch moves by compare-and-swap: when another process moved it (GIT_EMODIFIED) the
  // pass's commits are replayed on its tip; when one holds its lock (GIT_ELOCKED) we wait.
  constexpr int kAttempts = 8;
  std::string failure;
  for (int attempt = 1; attempt <= kAttempts && !m_pending.empty(); ++attempt) {
    // The objects are on disk before the branch names them.
    if (auto packed = m_batch->write_pack(); !packed) {
      failure = packed.error().message;
      break;
    }
    const int rc = move_branch();
    if (rc == 0) {
      m_pending.clear();
      break;
    }
    failure = "cannot move " + branch_ref(m_settings) + ": " + git_error_text(rc);
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
      if (auto replayed = replay_pending(); !replayed) {
        failure = replayed.error().message;
        break;
      }
      continue;
    }
    if (rc != GIT_ELOCKED) break;
    if (attempt == kAttempts - 1) remove_stale_ref_lock();
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << attempt));
  }
  m_batch->release_packs();
  if (m_pending.empty()) return {}; // replayed onto commits that already held the same
  // Nothing of the batch reached the branch: put tasks/ back to what HEAD holds.
  std::string tasks;
  for (std::size_t i = 0; i < m_pending.size() && i < 5; ++i) tasks += (i ? ", " : "") + m_pending[i].task_id;
  if (m_pending.size() > 5) tasks += " and " + std::to_string(m_pending.size() - 5) + " more";
  const std::size_t lost = m_pending.size();
  m_pending.clear();
  m_batch->discard();
  if (m_index) git_index_read(m_index.get(), 1);
  m_index_dirty = false;
  if (checkout_on_branch()) {
    if (auto restored = restore_tasks_to_head(); !restored) {
      log::error("repository: cannot restore tasks/ to HEAD: " + restored.error().message);
    }
  }
  return Error{"could not record " + std::to_string(lost) + (lost == 1 ? " commit" : " commits") + " (tasks " +
               tasks + "): " + failure + "; the next pass tries again"};
}

int Mirror::move_branch() {
  const git_oid &tip = m_pending.back().commit;
  const std::string message = "tasksync: " + std::to_string(m_pending.size()) +
                              (m_pending.size() == 1 ? " commit" : " commits");
  git_reference *raw = nullptr;
  const int rc = m_pending_base ? git_reference_create_matching(&raw, m_repo.get(), branch_ref(m_settings).c_str(),
                                                                &tip, 1, &*m_pending_base, message.c_str())
                                : git_reference_create(&raw, m_repo.get(), branch_ref(m_settings).c_str(), &tip, 0,
                                                       message.c_str());
  git_reference_free(raw);
  return rc;
}

Result<void> Mirror::replay_pending() {
  git_oid tip;
  if (const int rc = git_reference_name_to_id(&tip, m_repo.get(), branch_ref(m_settings).c_str()); rc < 0) {
    return git_failure("cannot read " + branch_ref(m_settings), rc);
  }
  std::vector<Pending> replayed;
  git_oid base = tip;
  for (const Pending &pending : m_pending) {
    auto rebuilt = replay_commit(m_repo.get(), pending.commit, base);
    if (!rebuilt) return rebuilt.error();
    if (!*rebuilt) continue; // the other process committed the same content
    base = **rebuilt;
    replayed.push_back({pending.task_id, base});
  }
  log::info("repository: " + branch_ref(m_settings) + " moved while this pass ran; replayed " +
            std::to_string(replayed.size()) + " of " + std::to_string(m_pending.size()) + " commits on top of " +
            std::string(git_oid_tostr_s(&tip)).substr(0, 12));
  m_pending = std::move(replayed);
  m_pending_base = tip;
  // Whoever moved the branch may have written the index too: take theirs, and bring tasks/ in
  // it up to date at the end of the pass.
  if (m_index) git_index_read(m_index.get(), 1);
  m_index_dirty = false;
  m_index_behind = true;
  return {};
}

void Mirror::remove_stale_ref_lock() {
  // git holds a ref lock only while it rewrites the ref (milliseconds). One that outlived
  // seconds of retries, while our instance lock keeps every other tasksyncd out, was left
  // by a process that died mid-update.
  const std::filesystem::path lock = std::filesystem::path(git_repository_path(m_repo.get())) /
                                     (branch_ref(m_settings) + ".lock");
  std::error_code error;
  if (std::filesystem::remove(lock, error)) {
    log::warning("repository: removed " + lock.string() + ", left behind by a process that died while updating the branch");
  }
}

Result<git_oid> Mirror::write_tree(const TaskState &state, const std::string &task_id,
                                   const std::optional<Snapshot> &desired) {
  auto tasks_result = tasks_tree(state.tree.get());
  if (!tasks_result) return tasks_result.error();
  TasksTree &tasks = *m_tasks;
  if (desired) {
    for (const RenderedFile &file : desired->files) {
      git_oid id;
      if (const int rc = git_blob_create_from_buffer(&id, m_repo.get(), file.content.data(), file.content.size());
          rc < 0) {
        return git_failure("cannot store tasks/" + task_id + "/" + file.name, rc);
      }
    }
    auto directory = m_batch->write(GIT_OBJECT_TREE, directory_of(state.want).raw());
    if (!directory) return directory.error();
    tasks.set(task_id, GIT_FILEMODE_TREE, *directory);
  } else {
    tasks.remove(task_id);
  }
  // Only the trees on the task's path are written, whatever the number of tasks: its
  // directory, tasks/ (edited in place, see TasksTree) and the root.
  git_tree_update update{GIT_TREE_UPDATE_REMOVE, {}, GIT_FILEMODE_TREE, "tasks"};
  m_tasks_id.reset();
  if (tasks.size() > 0) {
    auto tasks_id = m_batch->write(GIT_OBJECT_TREE, tasks.raw());
    if (!tasks_id) return tasks_id.error();
    m_tasks_id = *tasks_id;
    update = {GIT_TREE_UPDATE_UPSERT, *tasks_id, GIT_FILEMODE_TREE, "tasks"};
  }
  git_oid tree_id;
  if (const int rc = git_tree_create_updated(&tree_id, m_repo.get(), state.tree.get(), 1, &update); rc < 0) {
    return git_failure("cannot build the tree for tasks/" + task_id, rc);
  }
  return tree_id;
}

Result<git_oid> Mirror::write_commit(const TaskState &state, const git_oid &tree_id, const CommitInfo &info) {
  git_tree *tree_raw = nullptr;
  if (const int rc = git_tree_lookup(&tree_raw, m_repo.get(), &tree_id); rc < 0) {
    return git_failure("cannot read the new tree", rc);
  }
  const TreePtr tree(tree_raw);
  git_signature *author_raw = nullptr;
  if (const int rc = git_signature_new(&author_raw, m_settings.author_name.c_str(), m_settings.author_email.c_str(),
                                       info.author_time.unix_seconds, info.author_time.offset_minutes);
      rc < 0) {
    return git_failure("cannot make the author signature", rc);
  }
  const SignaturePtr author(author_raw);
  git_signature *committer_raw = nullptr;
  if (const int rc = git_signature_now(&committer_raw, m_settings.author_name.c_str(), m_settings.author_email.c_str());
      rc < 0) {
    return git_failure("cannot make the committer signature", rc);
  }
  const SignaturePtr committer(committer_raw);
  const git_commit *parents[1] = {state.head ? state.head->get() : nullptr};
  const std::string message = commit_message(state.kind, info);
  git_oid commit_id;
  // No ref moves here: record_commits() moves the branch once for the whole pass.
  if (const int rc = git_commit_create(&commit_id, m_repo.get(), nullptr, author.get(), committer.get(), nullptr,
                                       message.c_str(), tree.get(), state.head ? 1 : 0, parents);
      rc < 0) {
    return git_failure("cannot write the commit for " + info.task_id, rc);
  }
  return commit_id;
}

Result<void> Mirror::update_work_tree(const std::string &task_dir, const std::optional<Snapshot> &desired,
                                      const TaskState &state) {
  std::vector<WorkTree::File> files;
  if (desired) {
    for (std::size_t i = 0; i < desired->files.size(); ++i) {
      const Entry &want = state.want[i];
      const auto have = find_named(state.have, want.name);
      const bool same = have != state.have.end() && git_oid_equal(&have->id, &want.id);
      files.push_back({want.name, desired->files[i].content, !same});
    }
  }
  std::vector<std::string> removed;
  for (const Entry &have : state.have) {
    if (find_named(state.want, have.name) == state.want.end()) removed.push_back(have.name);
  }
  return m_files->update_directory(task_dir, files, removed);
}

Result<git_index *> Mirror::index() {
  if (!m_index) {
    git_index *raw = nullptr;
    if (const int rc = git_repository_index(&raw, m_repo.get()); rc < 0) return git_failure("cannot open the index", rc);
    m_index.reset(raw);
  }
  if (!m_index_dirty) {
    // Pick up what someone else's git wrote since the last pass.
    if (const int rc = git_index_read(m_index.get(), 0); rc < 0) return git_failure("cannot read the index", rc);
  }
  return m_index.get();
}

Result<void> Mirror::add_to_index(git_index *index, const std::string &path, const git_oid &id) {
  const auto status = m_files->status(path);
  if (!status || !S_ISREG(status->st_mode)) return Error{"cannot index " + path + ": it is not a regular file in the work tree"};
  const struct stat &info = *status;
  // Real stat data lets `git status` trust the entry without rehashing the file.
  git_index_entry entry{};
  entry.ctime = {static_cast<int32_t>(info.st_ctim.tv_sec), static_cast<uint32_t>(info.st_ctim.tv_nsec)};
  entry.mtime = {static_cast<int32_t>(info.st_mtim.tv_sec), static_cast<uint32_t>(info.st_mtim.tv_nsec)};
  entry.dev = static_cast<uint32_t>(info.st_dev);
  entry.ino = static_cast<uint32_t>(info.st_ino);
  entry.mode = GIT_FILEMODE_BLOB;
  entry.uid = info.st_uid;
  entry.gid = info.st_gid;
  entry.file_size = static_cast<uint32_t>(info.st_size);
  entry.id = id;
  entry.path = path.c_str();
  if (const int rc = git_index_add(index, &entry); rc < 0) return git_failure("cannot index " + path, rc);
  return {};
}

Result<void> Mirror::update_index(const std::string &task_dir, const TaskState &state) {
  auto index_result = index();
  if (!index_result) return index_result.error();
  git_index *index = *index_result;
  for (const Entry &want : state.want) {
    const auto have = find_named(state.have, want.name);
    if (have != state.have.end() && git_oid_equal(&have->id, &want.id)) continue;
    if (auto added = add_to_index(index, task_dir + "/" + want.name, want.id); !added) return added.error();
  }
  for (const Entry &have : state.have) {
    if (find_named(state.want, have.name) != state.want.end()) continue;
    const std::string path = task_dir + "/" + have.name;
    const int rc = have.mode == GIT_FILEMODE_TREE ? git_index_remove_directory(index, path.c_str(), 0)
                                                  : git_index_remove(index, path.c_str(), 0);
    if (rc < 0 && rc != GIT_ENOTFOUND) return git_failure("cannot unindex " + path, rc);
  }
  m_index_dirty = true;
  return {};
}

Result<void> Mirror::finish_pass() {
  auto recorded = record_commits();
  const bool on_branch = checkout_on_branch();
  m_on_branch.reset(); // the next pass looks at HEAD again
  if (!recorded) return recorded.error();
  if (m_index_behind && on_branch) {
    m_index_behind = false;
    if (auto restored = restore_tasks_to_head(); !restored) return restored.error();
  } else if (m_index_dirty) {
    if (auto written = write_index(); !written) return written.error();
  }
  upkeep();
  return {};
}

void Mirror::upkeep() {
  // Loose objects come from other git processes (and from older tasksync versions).
  if (estimate_loose_objects(m_repo.get()) > loose_object_limit) {
    if (auto packed = pack_loose_objects(m_repo.get()); !packed) {
      log::warning("repository: cannot pack loose objects (they stay loose, nothing is lost): " + packed.error().message);
    } else {
      log::info("repository: packed " + std::to_string(*packed) + " loose objects");
    }
  }
  auto merged = consolidate_packs(m_repo.get(), pack_limit);
  if (!merged) {
    log::warning("repository: cannot merge packs (they stay as they are, nothing is lost): " + merged.error().message);
    return;
  }
  if (*merged == 0) return;
  log::info("repository: merged " + std::to_string(*merged) + " packs into one");
  // libgit2 keeps the merged packs open (and their disk space held) for as long as the
  // repository handle lives: take a fresh one.
  git_repository *raw = nullptr;
  if (git_repository_open_ext(&raw, m_settings.path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) < 0) return;
  RepositoryPtr fresh(raw);
  auto batch = ObjectBatch::attach(fresh.get());
  if (!batch) return;
  m_index.reset();
  m_batch.emplace(*batch);
  m_repo = std::move(fresh);
}

Result<void> Mirror::write_index() {
  int rc = git_index_write(m_index.get());
  const std::filesystem::path lock = std::filesystem::path(git_repository_path(m_repo.get())) / "index.lock";
  if (rc == GIT_ELOCKED) {
    // A person's `git commit` holds index.lock while their editor is open: only a lock
    // older than that is taken for debris of a crash.
    std::error_code error;
    const auto age = std::filesystem::file_time_type::clock::now() - std::filesystem::last_write_time(lock, error);
    if (!error && age > std::chrono::minutes(10) && std::filesystem::remove(lock, error)) {
      log::warning("repository: removed " + lock.string() + ", older than 10 minutes and held by nobody");
      rc = git_index_write(m_index.get());
    }
  }
  if (rc == GIT_ELOCKED) {
    log::warning("repository: " + lock.string() +
                 " is held by another git process; the index will catch up with HEAD on a later pass");
    // Drop our changes (the repository shares this index object): theirs may hold changes of
    // their own that ours must not overwrite.
    git_index_read(m_index.get(), 1);
    m_index_dirty = false;
    m_index_behind = true;
    return {};
  }
  if (rc < 0) return git_failure("cannot write the index", rc);
  m_index_dirty = false;
  return {};
}

} // namespace tasksync
