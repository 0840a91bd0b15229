#include "run/drafts.hpp"

#include <algorithm>
#include <map>

#include "base/log.hpp"
#include "git/draft_branches.hpp"
#include "pack/task_directory.hpp"
#include "render/render.hpp"
#include "run/version_history.hpp"

namespace tasksync {
namespace {

// The branch tip and what each draft is compared with; read once per pass.
struct Tip {
  std::optional<CommitPtr> commit; // none: an unborn branch
  git_oid id{};
  TreePtr tree;
};

Result<Tip> read_tip(git_repository *repo, const RepoSettings &settings) {
  Tip tip;
  if (!repo) return tip;
  const std::string ref = "refs/heads/" + settings.branch;
  if (const int rc = git_reference_name_to_id(&tip.id, repo, ref.c_str()); rc == GIT_ENOTFOUND) {
    return tip;
  } else if (rc < 0) {
    return git_error("cannot read " + ref, rc);
  }
  git_commit *raw = nullptr;
  if (const int rc = git_commit_lookup(&raw, repo, &tip.id); rc < 0) return git_error("cannot read " + ref, rc);
  tip.commit.emplace(raw);
  git_tree *tree = nullptr;
  if (const int rc = git_commit_tree(&tree, raw); rc < 0) return git_error("cannot read the tree of " + ref, rc);
  tip.tree.reset(tree);
  return tip;
}

// What the tip holds for `task_id`, if anything.
std::optional<HeadTask> at_tip(const Tip &tip, HeadReader *reader, const std::string &task_id) {
  if (!tip.tree || !reader) return std::nullopt;
  git_tree_entry *raw = nullptr;
  if (git_tree_entry_bypath(&raw, tip.tree.get(), ("tasks/" + task_id).c_str()) != 0) return std::nullopt;
  const TreeEntryPtr entry(raw);
  if (git_tree_entry_type(raw) != GIT_OBJECT_TREE) return std::nullopt;
  auto task = reader->read(*git_tree_entry_id(raw), task_id);
  if (!task) return std::nullopt;
  return std::move(*task);
}

bool same_base(const DraftBranch &branch, const Tip &tip) {
  return tip.commit ? git_oid_equal(&branch.base, &tip.id) : git_oid_is_zero(&branch.base);
}

// Collects one pass's draft work and applies it.
class DraftUpdate {
public:
  DraftUpdate(Mirror &mirror, const RepoSettings &settings, const TaskNames &names, PassMode mode, Tip tip)
      : m_mirror(mirror), m_settings(settings), m_names(names), m_mode(mode), m_tip(std::move(tip)) {}

  // The draft `version` of `task` as its branch should be.
  void place(const TaskEntry &task, TaskVersion draft, const DraftBranch *existing, bool healed) {
    draft.version = "draft";
    const Snapshot snapshot = render(draft);
    const std::optional<HeadTask> head = at_tip(m_tip, m_mirror.head_reader().get(), task.id);
    if (head && same_content(*head, files_of(snapshot))) return remove(task.id, existing);
    const DraftInfo info{task.id,          m_names.label(task),
                         draft.id,         head ? head->version() : "",
                         draft.updated_at, healed || (existing && existing->draft_id == draft.id && existing->healed)};
    const std::string message = draft_commit_message(info);
    const git_oid directory = directory_id(snapshot);
    if (existing && same_base(*existing, m_tip) && git_oid_equal(&existing->directory, &directory) &&
        existing->message == message) {
      return;
    }
    DraftChange change{
        existing ? DraftChange::Kind::updated : DraftChange::Kind::added, task.id, ref_of(task.id), "", {}};
    if (m_mode == PassMode::dry_run) {
      auto changes = m_mirror.changes(task.id, snapshot);
      if (changes) change.changes = std::move(*changes);
      m_report.changes.push_back(std::move(change));
      return;
    }
    auto written = write_task_directory(m_mirror.repository(), snapshot);
    if (!written) return fail(task.id, written.error().message);
    commit(std::move(change), *written, message, draft.updated);
  }

  // A draft branch no pass read (of `task`): rebuilt on the tip when the tip moved.
  void follow_tip(const DraftBranch &branch, const TaskEntry &task) {
    if (same_base(branch, m_tip)) return;
    HeadReader *reader = m_mirror.head_reader().get();
    auto draft = reader->read(branch.directory, branch.task_id);
    if (!draft) return fail(branch.task_id, draft.error().message);
    const std::optional<HeadTask> head = at_tip(m_tip, reader, branch.task_id);
    if (head && same_content(*head, *draft)) return remove(branch.task_id, &branch);
    if (m_mode == PassMode::dry_run) return; // a dry run reads no draft it would rebuild
    const DraftInfo info{branch.task_id,    m_names.label(task), branch.draft_id, head ? head->version() : "",
                         branch.updated_at, branch.healed};
    const Timestamp updated = parse_rfc3339(branch.updated_at).value_or(Timestamp{});
    commit({DraftChange::Kind::updated, branch.task_id, branch.ref, "", {}}, branch.directory,
           draft_commit_message(info), updated);
  }

  // Moves and deletes the branches; the report.
  DraftReport finish(const std::vector<DraftBranch> &before) {
    if (m_mode == PassMode::apply) {
      if (auto moved = m_mirror.set_side_refs(m_refs, "tasksync: draft branches"); !moved) {
        log::error("repository " + m_mirror.work_tree().string() +
                   ": cannot record the draft branches (the next pass tries again): " + moved.error().message);
        return DraftReport{false, {}, 0, std::nullopt, m_report.failures + 1};
      }
    }
    m_report.known = true;
    std::map<std::string, std::string> pending; // task ID -> updatedAt
    for (const DraftBranch &branch : before)
      pending[branch.task_id] = branch.updated_at;
    for (const DraftChange &change : m_report.changes) {
      if (change.kind == DraftChange::Kind::removed)
        pending.erase(change.task_id);
      else
        pending[change.task_id] = m_updated[change.task_id];
    }
    m_report.pending = pending.size();
    for (const auto &[task, updated] : pending) {
      if (const auto when = parse_rfc3339(updated)) {
        if (!m_report.oldest_updated || when->unix_seconds < *m_report.oldest_updated)
          m_report.oldest_updated = when->unix_seconds;
      }
    }
    return std::move(m_report);
  }

  void fail(const std::string &task_id, const std::string &why) {
    log::error("task " + task_id + ": draft: " + why);
    ++m_report.failures;
  }

  void remove(const std::string &task_id, const DraftBranch *existing) {
    if (!existing) return;
    m_report.changes.push_back({DraftChange::Kind::removed, task_id, existing->ref, "", {}});
    m_refs.push_back({existing->ref, std::nullopt});
  }

  std::string ref_of(const std::string &task_id) const { return "refs/heads/" + m_settings.drafts_prefix + task_id; }

  // Remembers the updatedAt a branch's new commit carries.
  void note_updated(const std::string &task_id, const std::string &updated_at) { m_updated[task_id] = updated_at; }

private:
  void commit(DraftChange change, const git_oid &directory, const std::string &message, const Timestamp &updated) {
    auto written =
        write_draft_commit(m_mirror.repository(), m_tip.commit ? m_tip.commit->get() : nullptr, change.task_id,
                           directory, message, updated, m_settings, m_mirror.replay_signing().key);
    if (!written) return fail(change.task_id, written.error().message);
    change.commit_id = git_oid_tostr_s(&*written);
    m_refs.push_back({change.ref, *written});
    m_report.changes.push_back(std::move(change));
  }

  Mirror &m_mirror;
  const RepoSettings &m_settings;
  const TaskNames &m_names;
  PassMode m_mode;
  Tip m_tip;
  DraftReport m_report;
  std::vector<Mirror::SideRef> m_refs;
  std::map<std::string, std::string> m_updated;
};

} // namespace

DraftReport update_draft_branches(Mirror &mirror, const RepoSettings &settings, const TaskNames &names,
                                  const std::vector<TaskEntry> &configured, const std::vector<DraftRead> &reads,
                                  const std::set<std::string> &healed, PassMode mode) {
  git_repository *repo = mirror.repository();
  auto tip = read_tip(repo, settings);
  std::vector<DraftBranch> branches;
  if (repo) {
    auto read = read_draft_branches(repo, settings.drafts_prefix);
    if (!read || !tip) {
      log::error("repository " + mirror.work_tree().string() +
                 ": cannot read the draft branches: " + (!tip ? tip.error().message : read.error().message));
      return DraftReport{false, {}, 0, std::nullopt, 1};
    }
    branches = std::move(*read);
  }
  DraftUpdate update(mirror, settings, names, mode, std::move(*tip));
  std::map<std::string, const DraftBranch *> by_task;
  for (const DraftBranch &branch : branches)
    by_task[branch.task_id] = &branch;
  std::set<std::string> read_now;
  for (const DraftRead &read : reads) {
    const auto existing = by_task.find(read.task.id);
    const DraftBranch *branch = existing == by_task.end() ? nullptr : existing->second;
    if (!read.draft) { // its branch stays what it was, on the current tip
      update.fail(read.task.id, "cannot read it: " + read.draft.error().message);
      continue;
    }
    read_now.insert(read.task.id);
    if (!*read.draft) {
      update.remove(read.task.id, branch);
      continue;
    }
    update.note_updated(read.task.id, (*read.draft)->updated_at);
    update.place(read.task, **read.draft, branch, healed.count((*read.draft)->id) > 0);
  }
  std::map<std::string, TaskEntry> named; // the configured tasks, for the names they are given
  for (const TaskEntry &task : configured)
    named[task.id] = task;
  for (const DraftBranch &branch : branches) {
    if (!read_now.count(branch.task_id)) {
      update.note_updated(branch.task_id, branch.updated_at);
      const auto task = named.find(branch.task_id);
      update.follow_tip(branch, task == named.end() ? TaskEntry{branch.task_id, ""} : task->second);
    }
  }
  return update.finish(branches);
}

void merge_draft_reports(DraftReport &into, DraftReport later) {
  if (!into.known) {
    later.failures += into.failures;
    into = std::move(later);
    return;
  }
  into.failures += later.failures;
  if (!later.known) return;
  into.pending = later.pending;
  into.oldest_updated = later.oldest_updated;
  for (DraftChange &change : later.changes) {
    const auto earlier = std::find_if(into.changes.begin(), into.changes.end(),
                                      [&](const DraftChange &seen) { return seen.task_id == change.task_id; });
    if (earlier == into.changes.end()) {
      into.changes.push_back(std::move(change));
    } else if (change.kind == DraftChange::Kind::removed && earlier->kind == DraftChange::Kind::added) {
      into.changes.erase(earlier);
    } else {
      if (earlier->kind == DraftChange::Kind::added) change.kind = DraftChange::Kind::added;
      *earlier = std::move(change);
    }
  }
}

} // namespace tasksync
