#pragma once

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/git_handles.hpp"
#include "base/result.hpp"
#include "config/config.hpp"
#include "git/commit_replay.hpp"
#include "git/head_reader.hpp"
#include "git/instance_lock.hpp"
#include "git/work_tree.hpp"
#include "pack/object_batch.hpp"
#include "pack/tasks_tree.hpp"
#include "render/commit_message.hpp"
#include "render/file_change.hpp"
#include "render/render.hpp"

namespace tasksync {

// A directory as its stat data showed it, which changes when an entry is added, removed or renamed.
struct DirectoryStamp {
  ino_t inode = 0;
  timespec modified{};
  timespec changed{};
};

// The git repository that mirrors the tasks: `tasks/<taskId>/` per task, one commit per change.
// A pass's commits are built in memory and recorded together by finish_pass(): one pack, one
// fsync and one move of the branch per pass, whatever the number of commits.
// Not thread-safe: one pass applies its tasks one after another, in config order.
//
// Sharing the repository (the pusher does, between passes): the mirror is the one owner of
// repo.branch, the index and the work tree. Others reach the repository only through
// repository(), to read it and to write objects and refs other than the branch (the pusher's
// refs/remotes/tasksync/*); objects written through it go into the pass's object store until a
// branch move makes them durable. The branch, index and work tree change only through
// apply()/finish_pass() within a pass, and through adopt_replayed_commits() between passes, so the
// mirror always knows what its index (m_index, the repository's own index object) and its cached
// tasks/ tree (m_tasks, m_tasks_id) describe, and whether HEAD follows the branch (m_on_branch).
class Mirror {
public:
  // read_write creates the repository when missing; read_only (dry runs) never writes,
  // and treats a missing repository as empty.
  enum class Access { read_write, read_only };

  // The outcome of apply(): what changed and the commit that recorded it.
  struct Applied {
    ChangeKind kind = ChangeKind::unchanged;
    std::string commit_id; // empty when unchanged
  };

  // Opens (or creates) the repository at settings.path with HEAD on settings.branch; refuses a
  // shallow one. For read_write it also takes the instance lock, makes sure git's attributes
  // cannot make the task files differ from the index (ensure_task_attributes()), and restores each
  // task directory in the work tree and the index to what HEAD holds (tasks/<task ID>/ belongs to
  // the API; anything else under tasks/ is left alone), logging each file it restores.
  static Result<Mirror> open(const RepoSettings &settings, Access access);

  // An error saying that the repository `repo` at `path` is shallow (a `git clone --depth`), why
  // tasksync cannot use it and what to do; nothing when it is not. open() and --check-config ask.
  static Result<void> refuse_shallow(git_repository *repo, const std::string &path);

  // Signs every commit made from now on (the mirror's and its replays) with `key`; nullptr: none.
  void sign_with(std::shared_ptr<const SigningKey> key) { m_signer = std::move(key); }
  // How a replay of this mirror's commits signs them (none without a key).
  ReplaySigning replay_signing() const { return {m_signer.get(), m_settings.author_email}; }

  // Loose objects (written by other git processes) above which they are packed (git's gc.auto
  // default is 6700).
  static constexpr std::size_t loose_object_limit = 2000;

  // Packs above which the small ones are merged.
  static constexpr std::size_t pack_limit = 32;

  // Pack bytes a pass writes before checkpoint() records the commits so far: a long import
  // becomes visible (and survives a crash) in steps.
  static constexpr std::size_t batch_limit = std::size_t{64} << 20;

  // What apply() would do: compares blob ids of `desired` (nullopt: deleted upstream) with
  // HEAD's tree. Reads no work-tree file and writes nothing.
  Result<ChangeKind> plan(const std::string &task_id, const std::optional<Snapshot> &desired) const;

  // The files whose content apply() would change, with their content in HEAD and after; for
  // --dry-run's diff. Writes nothing.
  Result<std::vector<FileChange>> changes(const std::string &task_id, const std::optional<Snapshot> &desired) const;

  // Makes `tasks/<task_id>/` hold exactly `desired` (nullopt: removes it) in the work tree, the
  // index and a new commit on top of the pass's last one, when anything differs; touches nothing
  // otherwise, nor when info.task_id is not a task ID (an error). The branch moves to the commit
  // in finish_pass(), or in checkpoint() once the pass has written batch_limit bytes of objects.
  Result<Applied> apply(const std::optional<Snapshot> &desired, const CommitInfo &info);

  // Between two tasks: records the pass's commits so far on the branch once they hold
  // batch_limit bytes of objects; nothing otherwise. Called between tasks only, a step never
  // splits one task's versions, so a task on the branch always has all its versions of the pass.
  Result<void> checkpoint();

  // The task IDs that HEAD has a directory for under tasks/ (directories named otherwise are
  // not tasks: see is_task_id()).
  Result<std::vector<std::string>> mirrored_tasks() const;

  // A copy of HEAD's tasks/ tree with only the task directories (empty when HEAD has none), for
  // threads that compare what they fetched with HEAD while this mirror goes on committing.
  Result<TasksTree> tasks_at_head() const;

  // The bytes of the blob `id` of tasks/<task_id>/ (an entry of task_files()).
  Result<std::string> read_blob(const git_oid &id, const std::string &task_id) const;

  // Records the pass's commits on the branch; then, while HEAD follows the branch, puts every task
  // directory in the work tree and index back to what HEAD holds where it differs (a person's
  // edit, a deleted or added file: each logged) and writes the index if anything changed it (once
  // per pass, not once per commit); then keeps loose objects and packs bounded.
  Result<void> finish_pass();

  // A reader of HEAD's task directories for other threads (null: no repository yet).
  std::shared_ptr<HeadReader> head_reader() const { return m_head_reader; }

  // The repository's work tree.
  const std::filesystem::path &work_tree() const { return m_work_tree; }

  // The mirror's repository handle (null: a read-only view of a repository that does not exist
  // yet), for the uses the class comment allows; valid until the next finish_pass().
  git_repository *repository() const { return m_repo.get(); }

  // Between passes, for the pusher: moves the branch from `from` (its tip) to `replayed.tip`
  // (`commits`, the ones the remote lacked, replayed through repository() on top of what another
  // mirror pushed), with `reason` in the reflog, and notes which commits were replaced (see
  // take_replaced_commits()). The new objects are made durable first. When HEAD follows the branch the work
  // tree and index follow it too, as a checkout that never overwrites an uncommitted change;
  // otherwise only the branch moves. Changes nothing else when the branch is no longer at `from`
  // or cannot be moved.
  Result<void> adopt_replayed_commits(const git_oid &from, const std::vector<git_oid> &commits,
                                      const ReplayedCommits &replayed, const std::string &reason);

  // A ref other than the branch (a draft branch) to point at `target`, or to delete (none).
  struct SideRef {
    std::string name;
    std::optional<git_oid> target;
  };

  // Between passes: makes the objects written through repository() durable, then moves or
  // deletes each of `refs` (never repo.branch), with `reason` in the reflog.
  Result<void> set_side_refs(const std::vector<SideRef> &refs, const std::string &reason);

  // The commits the branch no longer holds because a replay rebuilt them (on a branch that moved
  // while a pass was recorded, or for the pusher), since the last call; for telling hooks the ids
  // that are on the branch.
  ReplacedCommits take_replaced_commits();

  // A file of a task directory as git sees it.
  struct Entry {
    std::string name;
    git_oid id;
    git_filemode_t mode;
  };

  // The entries of the task directory tree `directory` (an entry of tasks_at_head() for
  // `task_id`).
  Result<std::vector<Entry>> task_files(const git_oid &directory, const std::string &task_id) const;

private:
  // HEAD and the task directory in it, next to what the directory should hold.
  struct TaskState {
    std::optional<CommitPtr> head; // none on an unborn branch
    TreePtr tree;                  // HEAD's tree, or the empty tree
    std::vector<Entry> have;       // the task directory in HEAD
    std::vector<Entry> want;       // the desired directory
    ChangeKind kind = ChangeKind::unchanged;
  };

  Mirror(RepoSettings settings, RepositoryPtr repo, std::filesystem::path work_tree);

  // True when HEAD is on repo.branch, so the work tree and index are ours to update; asked once
  // a pass, and logged once each time it changes.
  bool checkout_on_branch();
  Result<TaskState> read_state(const std::string &task_id, const std::optional<Snapshot> &desired) const;
  Result<std::optional<CommitPtr>> head_commit() const;
  Result<TreePtr> tree_of(const std::optional<CommitPtr> &head) const;
  // The tree of a task directory holding exactly `files`.
  static TasksTree directory_of(const std::vector<Entry> &files);
  Result<const TasksTree *> tasks_tree(const git_tree *root) const;
  // The raw tree `id` (a tasks/ tree), read with the least memory held after.
  Result<std::string> read_tasks_tree(const git_oid &id) const;
  Result<std::vector<Entry>> entries_of(const git_oid &directory, const std::string &task_dir) const;
  Result<git_oid> write_tree(const TaskState &state, const std::string &task_id,
                             const std::optional<Snapshot> &desired);
  Result<git_oid> write_commit(const TaskState &state, const git_oid &tree_id, const CommitInfo &info);
  Result<void> record_commits();
  Result<void> replay_pending();
  Result<void> write_index();
  void upkeep();
  Result<void> update_work_tree(const std::string &task_dir, const std::optional<Snapshot> &desired,
                                const TaskState &state);
  Result<void> update_index(const std::string &task_dir, const TaskState &state);
  Result<git_index *> index();
  Result<void> add_to_index(git_index *index, const std::string &path, const git_oid &id);
  Result<void> rebuild_index_if_lost();
  Result<void> restore_tasks_to_head();
  Result<void> add_index_differences(const git_tree *head_tree, git_index *index, std::set<std::string> &paths) const;
  // What one comparison of the work tree with the index goes by.
  struct WorkTreeScan {
    timespec started{};                    // the coarse clock the kernel stamps files with
    std::optional<timespec> index_written; // the index file's mtime (none: every entry is racy)
    const FileDescriptor *tasks = nullptr; // tasks/, opened once (null: not a real directory)
  };
  Result<void> add_work_tree_differences(git_index *index, std::set<std::string> &paths);
  Result<void> add_task_directory_differences(const WorkTreeScan &scan, git_index *index,
                                              std::pair<std::size_t, std::size_t> entries, const std::string &name,
                                              std::set<std::string> &paths);
  Result<void> restore_path(const git_tree *head_tree, git_index *index, const std::string &path);

  RepoSettings m_settings;
  std::shared_ptr<const SigningKey> m_signer; // null: commits are not signed
  std::optional<InstanceLock> m_lock;         // held for read_write
  RepositoryPtr m_repo;                       // null: read-only view of a repository that does not exist yet
  std::shared_ptr<HeadReader> m_head_reader;  // null with m_repo
  std::filesystem::path m_work_tree;
  std::optional<WorkTree> m_files;    // the work tree, reached without following links; read_write
  std::optional<bool> m_on_branch;    // checkout_on_branch() of this pass, once asked
  bool m_told_other_checkout = false; // the other checkout was logged
  IndexPtr m_index;
  bool m_index_dirty = false;
  bool m_index_behind = false; // a locked index could not be written: repair it next pass
  // A commit of this pass not on the branch yet.
  struct Pending {
    std::string task_id;
    git_oid commit;
  };
  std::optional<ObjectBatch> m_batch;        // the new objects, for read_write
  std::vector<Pending> m_pending;            // oldest first, each the parent of the next
  std::optional<git_oid> m_pending_base;     // the branch tip m_pending builds on (none: unborn)
  ReplacedCommits m_replaced;                // see take_replaced_commits()
  mutable std::optional<TasksTree> m_tasks;  // tasks/ of the tip, edited in place by each commit
  mutable std::optional<git_oid> m_tasks_id; // its id (none: the tip has no tasks/)
  // Task directories (and tasks/ itself) as they were when last found holding nothing the index
  // lacks: listed again only once they change.
  std::unordered_map<std::string, DirectoryStamp> m_listed;
  std::optional<DirectoryStamp> m_tasks_listed;
};

} // namespace tasksync
