// Reading: what HEAD (or the pass's last commit) holds for a task, and what applying a snapshot
// would change, without writing anything.
#include "git/mirror.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "git/mirror_helpers.hpp"
#include "pack/object_id.hpp"
#include "pack/packed_object.hpp"

namespace tasksync {

using namespace mirror_detail;

Result<std::optional<CommitPtr>> Mirror::head_commit() const {
  git_oid id;
  if (!m_pending.empty()) {
    id = m_pending.back().commit; // the pass builds on its own commits
  } else if (const int rc = git_reference_name_to_id(&id, m_repo.get(), branch_ref(m_settings).c_str()); rc < 0) {
    if (rc == GIT_ENOTFOUND) return std::optional<CommitPtr>{};
    return git_error("cannot read " + branch_ref(m_settings), rc);
  }
  git_commit *commit = nullptr;
  if (const int lookup = git_commit_lookup(&commit, m_repo.get(), &id); lookup < 0) {
    return git_error("cannot read the commit at " + branch_ref(m_settings), lookup);
  }
  return std::optional<CommitPtr>(CommitPtr(commit));
}

Result<TreePtr> Mirror::tree_of(const std::optional<CommitPtr> &head) const {
  git_tree *tree = nullptr;
  if (head) {
    if (const int rc = git_commit_tree(&tree, head->get()); rc < 0) return git_error("cannot read HEAD's tree", rc);
    return TreePtr(tree);
  }
  // An unborn branch starts from the empty tree, which libgit2 knows without storing it.
  git_oid empty;
  git_oid_fromstr(&empty, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
  if (const int rc = git_tree_lookup(&tree, m_repo.get(), &empty); rc < 0)
    return git_error("cannot read the empty tree", rc);
  return TreePtr(tree);
}

Result<std::string> Mirror::read_tasks_tree(const git_oid &id) const {
  // Through the packs one delta at a time: libgit2 would keep every base of the tree's delta
  // chain cached for as long as the repository is open.
  const std::filesystem::path objects = std::filesystem::path(git_repository_commondir(m_repo.get())) / "objects";
  auto packed = read_packed_object(objects, id, GIT_OBJECT_TREE);
  if (packed && *packed) return std::move(**packed);
  if (!packed) log::warning("repository: reading tasks/ through libgit2: " + packed.error().message);
  git_odb *odb_raw = nullptr;
  if (const int rc = git_repository_odb(&odb_raw, m_repo.get()); rc < 0) return git_error("cannot read tasks/", rc);
  const OdbPtr odb(odb_raw);
  git_odb_object *object_raw = nullptr;
  if (const int rc = git_odb_read(&object_raw, odb.get(), &id); rc < 0)
    return git_error("cannot read tasks/ in HEAD", rc);
  const OdbObjectPtr object(object_raw);
  return std::string(static_cast<const char *>(git_odb_object_data(object.get())), git_odb_object_size(object.get()));
}

Result<const TasksTree *> Mirror::tasks_tree(const git_tree *root) const {
  std::optional<git_oid> id;
  if (const git_tree_entry *entry = git_tree_entry_byname(root, "tasks")) {
    if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
      return Error{"tasks in HEAD is not a directory; move it away so tasksync can mirror tasks"};
    }
    id = *git_tree_entry_id(entry);
  }
  const bool current =
      m_tasks && m_tasks_id.has_value() == id.has_value() && (!id || git_oid_equal(&*m_tasks_id, &*id));
  if (current) return &*m_tasks;
  std::string raw;
  if (id) {
    TRY_ASSIGN(raw, read_tasks_tree(*id));
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
    return git_error("cannot read " + task_dir + " in HEAD", lookup);
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
  for (const auto &file : files)
    directory.set(file.name, file.mode, file.id);
  return directory;
}

Result<Mirror::TaskState> Mirror::read_state(const std::string &task_id, const std::optional<Snapshot> &desired) const {
  const std::string task_dir = "tasks/" + task_id;
  TaskState state;
  if (desired) {
    for (const RenderedFile &file : desired->files) {
      state.want.push_back({file.name, object_id(GIT_OBJECT_BLOB, file.content), GIT_FILEMODE_BLOB});
    }
  }
  if (m_repo) {
    TRY_ASSIGN(auto head, head_commit());
    state.head = std::move(head);
    TRY_ASSIGN(auto tree, tree_of(state.head));
    state.tree = std::move(tree);
    TRY_ASSIGN(auto tasks, tasks_tree(state.tree.get()));
    if (const auto directory = tasks->find(task_id)) {
      if (directory->mode != GIT_FILEMODE_TREE) {
        return Error{task_dir + " in HEAD is not a directory; move it away so tasksync can mirror the task"};
      }
      // The common case, a task that did not change, needs no read of its directory.
      if (const git_oid wanted = directory_of(state.want).id(); desired && git_oid_equal(&directory->id, &wanted)) {
        state.have = state.want;
        return state;
      }
      TRY_ASSIGN(auto have, entries_of(directory->id, task_dir));
      state.have = std::move(have);
    }
  }
  const bool same = state.want.size() == state.have.size() &&
                    std::all_of(state.want.begin(), state.want.end(), [&](const Entry &want) {
                      const auto have = find_named(state.have, want.name);
                      return have != state.have.end() && have->mode == want.mode && git_oid_equal(&have->id, &want.id);
                    });
  if (same)
    state.kind = ChangeKind::unchanged;
  else if (!desired)
    state.kind = ChangeKind::deleted;
  else if (state.have.empty())
    state.kind = ChangeKind::added;
  else
    state.kind = ChangeKind::updated;
  return state;
}

Result<std::vector<FileChange>> Mirror::changes(const std::string &task_id,
                                                const std::optional<Snapshot> &desired) const {
  const std::string task_dir = "tasks/" + task_id;
  TRY_ASSIGN(auto state, read_state(task_id, desired));
  std::vector<FileChange> result;
  auto content_in_head = [&](const Entry &entry) -> Result<std::string> {
    git_blob *raw = nullptr;
    if (const int rc = git_blob_lookup(&raw, m_repo.get(), &entry.id); rc < 0) {
      return git_error("cannot read " + task_dir + "/" + entry.name + " in HEAD", rc);
    }
    const BlobPtr blob(raw);
    return std::string(static_cast<const char *>(git_blob_rawcontent(raw)),
                       static_cast<std::size_t>(git_blob_rawsize(raw)));
  };
  for (std::size_t i = 0; i < state.want.size(); ++i) {
    const Entry &want = state.want[i];
    const auto have = find_named(state.have, want.name);
    if (have != state.have.end() && git_oid_equal(&have->id, &want.id)) continue;
    FileChange change{task_dir + "/" + want.name, std::nullopt, desired->files[i].content};
    if (have != state.have.end()) {
      TRY_ASSIGN(auto before, content_in_head(*have));
      change.before = std::move(before);
    }
    result.push_back(std::move(change));
  }
  for (const Entry &have : state.have) {
    if (find_named(state.want, have.name) != state.want.end() || have.mode == GIT_FILEMODE_TREE) continue;
    TRY_ASSIGN(auto before, content_in_head(have));
    result.push_back({task_dir + "/" + have.name, std::move(before), std::nullopt});
  }
  return result;
}

Result<TasksTree> Mirror::tasks_at_head() const {
  if (!m_repo) return TasksTree::parse("");
  TRY_ASSIGN(const auto head, head_commit());
  TRY_ASSIGN(const TreePtr tree, tree_of(head));
  TRY_ASSIGN(const TasksTree *tasks, tasks_tree(tree.get()));
  TasksTree copy = *tasks;
  std::vector<std::string> others; // a person's files and directories beside the tasks
  for (std::size_t i = 0; i < copy.size(); ++i) {
    const TasksTree::Entry entry = copy.at(i);
    if (!is_task_directory(entry)) others.emplace_back(entry.name);
  }
  for (const std::string &name : others)
    copy.remove(name);
  return copy;
}

Result<std::vector<Mirror::Entry>> Mirror::task_files(const git_oid &directory, const std::string &task_id) const {
  return entries_of(directory, "tasks/" + task_id);
}

Result<std::string> Mirror::read_blob(const git_oid &id, const std::string &task_id) const {
  git_blob *raw = nullptr;
  if (const int rc = git_blob_lookup(&raw, m_repo.get(), &id); rc < 0) {
    return git_error("cannot read a file of tasks/" + task_id + " in HEAD", rc);
  }
  const BlobPtr blob(raw);
  return std::string(static_cast<const char *>(git_blob_rawcontent(raw)),
                     static_cast<std::size_t>(git_blob_rawsize(raw)));
}

Result<std::vector<std::string>> Mirror::mirrored_tasks() const {
  TRY_ASSIGN(const TasksTree tasks, tasks_at_head());
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TasksTree::Entry entry = tasks.at(i);
    if (is_task_directory(entry)) ids.emplace_back(entry.name);
  }
  return ids;
}

Result<ChangeKind> Mirror::plan(const std::string &task_id, const std::optional<Snapshot> &desired) const {
  TRY_ASSIGN(auto state, read_state(task_id, desired));
  return state.kind;
}

} // namespace tasksync
