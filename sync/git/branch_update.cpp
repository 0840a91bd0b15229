#include "git/branch_update.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include "base/git_handles.hpp"
#include "base/log.hpp"
#include "git/commit_replay.hpp"
#include "git/git_dir_files.hpp"

namespace tasksync {
namespace {

void remove_stale_ref_lock(git_repository *repo, const std::string &branch_ref) {
  // git holds a ref lock only while it rewrites the ref (milliseconds). One that outlived
  // seconds of retries, while our instance lock keeps every other tasksyncd out, was left
  // by a process that died mid-update.
  const std::filesystem::path lock = std::filesystem::path(git_repository_path(repo)) / (branch_ref + ".lock");
  std::error_code error;
  if (std::filesystem::remove(lock, error)) {
    log::warning("repository: removed " + lock.string() +
                 ", left behind by a process that died while updating the branch");
  }
}

int create_or_swap(git_repository *repo, const std::string &branch_ref, const std::optional<git_oid> &expected,
                   const git_oid &to, const std::string &message) {
  git_reference *raw = nullptr;
  const int rc =
      expected ? git_reference_create_matching(&raw, repo, branch_ref.c_str(), &to, 1, &*expected, message.c_str())
               : git_reference_create(&raw, repo, branch_ref.c_str(), &to, 0, message.c_str());
  const ReferencePtr created(raw);
  return rc;
}

} // namespace

Result<std::optional<git_oid>> read_ref(git_repository *repo, const std::string &name) {
  git_oid id;
  const int rc = git_reference_name_to_id(&id, repo, name.c_str());
  if (rc == GIT_ENOTFOUND) return std::optional<git_oid>{};
  if (rc < 0) return git_error("cannot read " + name, rc);
  return std::optional<git_oid>(id);
}

Result<void, BranchNotMoved> swap_branch(git_repository *repo, const std::string &branch_ref,
                                         const std::optional<git_oid> &expected, const git_oid &to,
                                         const std::string &message) {
  constexpr int kAttempts = 8;
  clear_reflog_paths(repo, branch_ref);
  for (int attempt = 1;; ++attempt) {
    const int rc = create_or_swap(repo, branch_ref, expected, to, message);
    if (rc == 0) return {};
    if (rc != GIT_ELOCKED || attempt == kAttempts) {
      return BranchNotMoved{rc == GIT_EMODIFIED || rc == GIT_EEXISTS, git_error_text(rc)};
    }
    if (attempt == kAttempts - 1) remove_stale_ref_lock(repo, branch_ref);
    std::this_thread::sleep_for(std::chrono::milliseconds(10 << attempt));
  }
}

Result<void> check_out_change(git_repository *repo, const git_oid &from, const git_oid &to) {
  TRY_ASSIGN(const TreePtr baseline, commit_tree(repo, from));
  git_object *target_raw = nullptr;
  if (const int rc = git_object_lookup(&target_raw, repo, &to, GIT_OBJECT_COMMIT); rc < 0) {
    return git_error("cannot read the replayed commit", rc);
  }
  const ObjectPtr target(target_raw);
  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  // SAFE never overwrites a change nobody committed; the baseline is what the files hold now.
  options.checkout_strategy = GIT_CHECKOUT_SAFE;
  options.baseline = baseline.get();
  if (const int rc = git_checkout_tree(repo, target.get(), &options); rc < 0) {
    return git_error("cannot update the work tree and index", rc);
  }
  return {};
}

} // namespace tasksync
