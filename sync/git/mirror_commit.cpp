// Building a commit: the task's trees and commit in the pass's object store, its files in the
// work tree, its entries in the index.
#include "git/mirror.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <limits>

#include "base/log.hpp"
#include "git/commit_writer.hpp"
#include "git/mirror_helpers.hpp"
#include "git/work_tree.hpp"

namespace tasksync {

using namespace mirror_detail;

namespace {

// The author date of `info`, as a commit can hold it. libgit2 1.5.1 writes a signature's time
// as `(unsigned)` (git_signature__writebuf), and git reads it as unsigned too: a date before
// 1970 would wrap around (1960 became 2096), and one past 2106-02-07T06:28:15Z too. Such a date
// is clamped to the nearest one a commit can hold, and logged; task.json and the
// Task-Updated-At trailer keep the API's updatedAt as it is.
std::int64_t author_seconds(const CommitInfo &info) {
  constexpr std::int64_t kLatest = std::numeric_limits<std::uint32_t>::max();
  const std::int64_t seconds = info.author_time.unix_seconds;
  if (seconds >= 0 && seconds <= kLatest) return seconds;
  const bool early = seconds < 0;
  log::warning("task " + info.task_id + ": updatedAt " + info.updated_at + " is " +
               (early ? "before 1970" : "after 2106") + ", which a git commit date cannot hold; the author date is " +
               (early ? "1970-01-01T00:00:00Z" : "2106-02-07T06:28:15Z") +
               " (task.json and the Task-Updated-At trailer keep the API's date)");
  return early ? 0 : kLatest;
}

} // namespace

Result<Mirror::Applied> Mirror::apply(const std::optional<Snapshot> &desired, const CommitInfo &info) {
  if (!m_batch) return Error{"the repository is open read-only"};
  if (!is_task_id(info.task_id)) {
    return Error{"\"" + escape_controls(info.task_id) + "\" is not a task ID: tasksync writes only tasks/<task ID>/"};
  }
  const std::string task_dir = "tasks/" + info.task_id;
  TRY_ASSIGN(auto state, read_state(info.task_id, desired));
  if (state.kind == ChangeKind::unchanged) return Applied{};

  TRY_ASSIGN(auto tree_id, write_tree(state, info.task_id, desired));
  // Work tree before the branch: if recording fails, the files are put back to HEAD; a crash
  // leaves files HEAD lacks, which the next start restores.
  const bool on_branch = checkout_on_branch();
  if (on_branch) {
    TRY(update_work_tree(task_dir, desired, state));
  }
  TRY_ASSIGN(auto commit_id, write_commit(state, tree_id, info));
  if (m_pending.empty()) {
    m_pending_base.reset();
    if (state.head) m_pending_base = *git_commit_id(state.head->get());
  }
  m_pending.push_back({info.task_id, commit_id});
  if (auto indexed = on_branch ? update_index(task_dir, state) : Result<void>{}; !indexed) {
    return Error{"committed " + std::string(git_oid_tostr_s(&commit_id)) +
                 " but could not update the index: " + indexed.error().message};
  }
  return Applied{state.kind, git_oid_tostr_s(&commit_id)};
}

Result<void> Mirror::checkpoint() {
  // A long pass (an import) records as it goes, so its memory stays bounded.
  if (m_batch && m_batch->bytes() >= batch_limit) return record_commits();
  return {};
}

Result<git_oid> Mirror::write_tree(const TaskState &state, const std::string &task_id,
                                   const std::optional<Snapshot> &desired) {
  TRY(tasks_tree(state.tree.get()));
  TasksTree &tasks = *m_tasks;
  if (desired) {
    for (const RenderedFile &file : desired->files) {
      git_oid id;
      if (const int rc = git_blob_create_from_buffer(&id, m_repo.get(), file.content.data(), file.content.size());
          rc < 0) {
        return git_error("cannot store tasks/" + task_id + "/" + file.name, rc);
      }
    }
    TRY_ASSIGN(auto directory, m_batch->write(GIT_OBJECT_TREE, directory_of(state.want).raw()));
    tasks.set(task_id, GIT_FILEMODE_TREE, directory);
  } else {
    tasks.remove(task_id);
  }
  // Only the trees on the task's path are written, whatever the number of tasks: its
  // directory, tasks/ (edited in place, see TasksTree) and the root.
  git_tree_update update{GIT_TREE_UPDATE_REMOVE, {}, GIT_FILEMODE_TREE, "tasks"};
  m_tasks_id.reset();
  if (tasks.size() > 0) {
    TRY_ASSIGN(auto tasks_id, m_batch->write(GIT_OBJECT_TREE, tasks.raw()));
    m_tasks_id = tasks_id;
    update = {GIT_TREE_UPDATE_UPSERT, tasks_id, GIT_FILEMODE_TREE, "tasks"};
  }
  git_oid tree_id;
  if (const int rc = git_tree_create_updated(&tree_id, m_repo.get(), state.tree.get(), 1, &update); rc < 0) {
    return git_error("cannot build the tree for tasks/" + task_id, rc);
  }
  return tree_id;
}

Result<git_oid> Mirror::write_commit(const TaskState &state, const git_oid &tree_id, const CommitInfo &info) {
  git_tree *tree_raw = nullptr;
  if (const int rc = git_tree_lookup(&tree_raw, m_repo.get(), &tree_id); rc < 0) {
    return git_error("cannot read the new tree", rc);
  }
  const TreePtr tree(tree_raw);
  // No ref moves here: record_commits() moves the branch once for the whole pass.
  return write_mirror_commit(m_repo.get(), m_settings, {author_seconds(info), info.author_time.offset_minutes},
                             commit_message(state.kind, info), tree.get(), state.head ? state.head->get() : nullptr,
                             m_signer.get(), "the commit for " + info.task_id);
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
    if (const int rc = git_repository_index(&raw, m_repo.get()); rc < 0) return git_error("cannot open the index", rc);
    m_index.reset(raw);
  }
  if (!m_index_dirty) {
    // Pick up what someone else's git wrote since the last pass.
    if (const int rc = git_index_read(m_index.get(), 0); rc < 0) return git_error("cannot read the index", rc);
  }
  return m_index.get();
}

Result<void> Mirror::add_to_index(git_index *index, const std::string &path, const git_oid &id) {
  const auto status = m_files->status(path);
  if (!status || !S_ISREG(status->st_mode))
    return Error{"cannot index " + path + ": it is not a regular file in the work tree"};
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
  if (const int rc = git_index_add(index, &entry); rc < 0) return git_error("cannot index " + path, rc);
  return {};
}

Result<void> Mirror::update_index(const std::string &task_dir, const TaskState &state) {
  TRY_ASSIGN(auto index_result, index());
  git_index *index = index_result;
  for (const Entry &want : state.want) {
    const auto have = find_named(state.have, want.name);
    if (have != state.have.end() && git_oid_equal(&have->id, &want.id)) continue;
    TRY(add_to_index(index, task_dir + "/" + want.name, want.id));
  }
  for (const Entry &have : state.have) {
    if (find_named(state.want, have.name) != state.want.end()) continue;
    const std::string path = task_dir + "/" + have.name;
    const int rc = have.mode == GIT_FILEMODE_TREE ? git_index_remove_directory(index, path.c_str(), 0)
                                                  : git_index_remove(index, path.c_str(), 0);
    if (rc < 0 && rc != GIT_ENOTFOUND) return git_error("cannot unindex " + path, rc);
  }
  m_index_dirty = true;
  return {};
}

} // namespace tasksync
