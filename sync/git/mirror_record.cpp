// Recording a pass: one pack, one compare-and-swap of the branch (replaying on a branch that
// moved, waiting out a lock), the index written once, packs and loose objects kept bounded; and
// between passes, the branch moved to the commits the pusher replayed.
#include "git/mirror.hpp"

#include <chrono>
#include <utility>

#include "base/log.hpp"
#include "git/branch_update.hpp"
#include "git/commit_replay.hpp"
#include "git/git_dir_files.hpp"
#include "git/mirror_helpers.hpp"
#include "pack/object_packer.hpp"

namespace tasksync {

using namespace mirror_detail;

namespace {

Result<void> move_branch_with_checkout(git_repository *repo, const std::string &ref, const git_oid &from,
                                       const git_oid &to, const std::string &reason, bool checked_out) {
  // Work tree and index first, as apply() does: a failure in between leaves the branch as it was.
  if (checked_out) TRY(check_out_change(repo, from, to));
  auto moved = swap_branch(repo, ref, from, to, reason);
  if (moved) return {};
  const std::string &why = moved.error().why;
  if (auto restored = checked_out ? check_out_change(repo, to, from) : Result<void>{}; !restored) {
    return Error{"cannot move " + ref + " (" + why +
                 "), and restoring the work tree failed: " + restored.error().message};
  }
  return Error{"cannot move " + ref + ": " + why + "; nothing was changed, the next push tries again"};
}

} // namespace

Result<void> Mirror::record_commits() {
  // The branch moves by compare-and-swap: when another process moved it, the pass's commits are
  // replayed on its tip and the swap is tried again.
  constexpr int kAttempts = 8;
  std::string failure;
  for (int attempt = 1; attempt <= kAttempts && !m_pending.empty(); ++attempt) {
    // The objects are on disk before the branch names them.
    if (auto packed = m_batch->write_pack(); !packed) {
      failure = packed.error().message;
      break;
    }
    const std::string message =
        "tasksync: " + std::to_string(m_pending.size()) + (m_pending.size() == 1 ? " commit" : " commits");
    auto moved = swap_branch(m_repo.get(), branch_ref(m_settings), m_pending_base, m_pending.back().commit, message);
    if (moved) {
      m_pending.clear();
      break;
    }
    failure = "cannot move " + branch_ref(m_settings) + ": " + moved.error().why;
    if (!moved.error().moved_elsewhere) break;
    if (auto replayed = replay_pending(); !replayed) {
      failure = replayed.error().message;
      break;
    }
  }
  m_batch->release_packs();
  if (m_pending.empty()) return {}; // replayed onto commits that already held the same
  // Nothing of the batch reached the branch: put tasks/ back to what HEAD holds.
  std::string tasks;
  for (std::size_t i = 0; i < m_pending.size() && i < 5; ++i)
    tasks += (i ? ", " : "") + m_pending[i].task_id;
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
  return Error{"could not record " + std::to_string(lost) + (lost == 1 ? " commit" : " commits") + " (tasks " + tasks +
               "): " + failure + "; the next pass tries again"};
}

Result<void> Mirror::replay_pending() {
  git_oid tip;
  if (const int rc = git_reference_name_to_id(&tip, m_repo.get(), branch_ref(m_settings).c_str()); rc < 0) {
    return git_error("cannot read " + branch_ref(m_settings), rc);
  }
  std::vector<git_oid> commits;
  for (const Pending &pending : m_pending)
    commits.push_back(pending.commit);
  TRY_ASSIGN(const ReplayedCommits replayed, replay_commits(m_repo.get(), commits, tip, replay_signing()));
  // Noted now: the originals never reach the branch, whether or not their copies do.
  note_replaced(m_replaced, commits, replayed);
  std::vector<Pending> kept; // without those whose content the other process committed too
  for (std::size_t i = 0; i < m_pending.size(); ++i) {
    if (replayed.rebuilt[i]) kept.push_back({m_pending[i].task_id, *replayed.rebuilt[i]});
  }
  log::info("repository: " + branch_ref(m_settings) + " moved while this pass ran; replayed " +
            std::to_string(kept.size()) + " of " + std::to_string(m_pending.size()) + " commits on top of " +
            std::string(git_oid_tostr_s(&tip)).substr(0, 12));
  m_pending = std::move(kept);
  m_pending_base = tip;
  // Whoever moved the branch may have written the index too: take theirs, and bring tasks/ in
  // it up to date at the end of the pass.
  if (m_index) git_index_read(m_index.get(), 1);
  m_index_dirty = false;
  m_index_behind = true;
  return {};
}

Result<void> Mirror::adopt_replayed_commits(const git_oid &from, const std::vector<git_oid> &commits,
                                            const ReplayedCommits &replayed, const std::string &reason) {
  const git_oid &to = replayed.tip;
  if (!m_batch) return Error{"the repository is open read-only"};
  if (!m_pending.empty()) return Error{"a pass is still being recorded; replayed commits wait for finish_pass()"};
  const std::string ref = branch_ref(m_settings);
  TRY_ASSIGN(const auto current, read_ref(m_repo.get(), ref));
  if (!current || !git_oid_equal(&*current, &from)) {
    return Error{ref + " moved during the push; nothing was changed, the next push tries again"};
  }
  if (git_oid_equal(&from, &to)) return {};
  // The replayed commits were written through m_repo, so into the pass's object store.
  if (auto packed = m_batch->write_pack(); !packed) {
    m_batch->discard();
    return packed.error();
  }
  const bool on_branch = checkout_on_branch();
  m_on_branch.reset(); // asked again by the next pass
  auto moved = move_branch_with_checkout(m_repo.get(), ref, from, to, reason, on_branch);
  m_batch->release_packs();
  if (!moved) return moved.error();
  note_replaced(m_replaced, commits, replayed);
  // The checkout wrote the index (the repository's own object, which m_index shares); tasks/ of
  // the new tip is read again when a pass first needs it.
  m_tasks.reset();
  m_tasks_id.reset();
  return {};
}

Result<void> Mirror::set_side_refs(const std::vector<SideRef> &refs, const std::string &reason) {
  if (!m_batch) return Error{"the repository is open read-only"};
  if (!m_pending.empty()) return Error{"a pass is still being recorded; refs wait for finish_pass()"};
  if (refs.empty()) return {};
  if (auto packed = m_batch->write_pack(); !packed) {
    m_batch->discard();
    return packed.error();
  }
  m_batch->release_packs();
  for (const SideRef &ref : refs) {
    if (ref.name == branch_ref(m_settings)) return Error{"refusing to move " + ref.name + " as a side ref"};
    clear_reflog_paths(m_repo.get(), ref.name);
    if (ref.target) {
      git_reference *raw = nullptr;
      if (const int rc = git_reference_create(&raw, m_repo.get(), ref.name.c_str(), &*ref.target, 1, reason.c_str());
          rc < 0) {
        return git_error("cannot move " + ref.name, rc);
      }
      const ReferencePtr moved(raw);
    } else if (const int rc = git_reference_remove(m_repo.get(), ref.name.c_str()); rc < 0 && rc != GIT_ENOTFOUND) {
      return git_error("cannot delete " + ref.name, rc);
    }
  }
  return {};
}

ReplacedCommits Mirror::take_replaced_commits() { return std::exchange(m_replaced, {}); }

Result<void> Mirror::finish_pass() {
  auto recorded = record_commits();
  const bool on_branch = checkout_on_branch();
  m_on_branch.reset(); // the next pass looks at HEAD again
  TRY(recorded);
  if (on_branch) {
    // Each pass, not only at start-up: a person's edit or deletion in a task directory (or an
    // index another process left behind HEAD) is put back now, not at the next restart. Cheap
    // when nothing changed: stat data against the index, and tree ids the index already has.
    m_index_behind = false;
    TRY(restore_tasks_to_head());
  } else if (m_index_dirty) {
    TRY(write_index());
  }
  upkeep();
  return {};
}

void Mirror::upkeep() {
  // Loose objects come from other git processes (and from older tasksync versions).
  if (estimate_loose_objects(m_repo.get()) > loose_object_limit) {
    if (auto packed = pack_loose_objects(m_repo.get()); !packed) {
      log::warning("repository: cannot pack loose objects (they stay loose, nothing is lost): " +
                   packed.error().message);
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
  if (rc < 0) return git_error("cannot write the index", rc);
  m_index_dirty = false;
  return {};
}

} // namespace tasksync
