// Opening the mirror: the repository (created or adopted), HEAD on repo.branch, the instance
// lock, the pass's object store and the work tree; and whether HEAD still follows the branch.
#include "git/mirror.hpp"

#include "base/log.hpp"
#include "git/commit_replay.hpp"
#include "git/git_dir_files.hpp"
#include "git/mirror_helpers.hpp"
#include "git/work_tree.hpp"
#include "pack/abandoned_packs.hpp"

namespace tasksync {

using namespace mirror_detail;

namespace {

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
    if (rc < 0 && rc != GIT_ENOTFOUND) return git_error("cannot open repository " + path, rc);
  }
  if (!raw) {
    if (access == Access::read_only) return Mirror(settings, nullptr, settings.path);
    git_repository_init_options options;
    git_repository_init_options_init(&options, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = settings.branch.c_str();
    if (const int rc = git_repository_init_ext(&raw, path.c_str(), &options); rc < 0) {
      return git_error("cannot create repository " + path, rc);
    }
  }
  RepositoryPtr repo(raw);
  if (git_repository_is_bare(repo.get())) return Error{"repository " + path + ": is bare; tasksync needs a work tree"};
  TRY(refuse_shallow(repo.get(), path));
  std::filesystem::path work_tree = git_repository_workdir(repo.get());
  if (!work_tree.has_filename()) work_tree = work_tree.parent_path(); // libgit2 ends it with '/'

  git_reference *head_raw = nullptr;
  if (const int rc = git_reference_lookup(&head_raw, repo.get(), "HEAD"); rc < 0) {
    return git_error("repository " + path + ": cannot read HEAD", rc);
  }
  const ReferencePtr head(head_raw);
  const std::string wanted = branch_ref(settings);
  // An unborn HEAD (fresh `git init` with another default branch) holds nothing to lose.
  if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC && git_reference_symbolic_target(head.get()) != wanted &&
      git_repository_head_unborn(repo.get()) == 1 && access == Access::read_write) {
    clear_reflog_paths(repo.get(), "HEAD");
    if (const int rc = git_repository_set_head(repo.get(), wanted.c_str()); rc < 0) {
      return git_error("repository " + path + ": cannot point HEAD at " + wanted, rc);
    }
  }
  Mirror mirror(settings, std::move(repo), std::move(work_tree));
  auto reader = HeadReader::open(git_repository_path(mirror.m_repo.get()));
  if (!reader) return Error{"repository " + path + ": " + reader.error().message};
  mirror.m_head_reader = std::move(*reader);
  if (access == Access::read_write) {
    TRY_ASSIGN(auto lock, InstanceLock::acquire(git_repository_path(mirror.m_repo.get()), settings.path));
    mirror.m_lock.emplace(std::move(lock));
    ObjectBatch::remove_leftovers(mirror.m_repo.get());
    remove_abandoned_packs(std::filesystem::path(git_repository_path(mirror.m_repo.get())) / "objects/pack");
    auto batch = ObjectBatch::attach(mirror.m_repo.get());
    if (!batch) return Error{"repository " + path + ": " + batch.error().message};
    mirror.m_batch.emplace(*batch);
    auto files = WorkTree::open(mirror.m_work_tree);
    if (!files) return Error{"repository " + path + ": " + files.error().message};
    mirror.m_files.emplace(std::move(*files));
    if (auto attributes = ensure_task_attributes(git_repository_path(mirror.m_repo.get())); !attributes) {
      return Error{"repository " + path + ": " + attributes.error().message};
    }
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

Result<void> Mirror::refuse_shallow(git_repository *repo, const std::string &path) {
  const int shallow = git_repository_is_shallow(repo);
  if (shallow < 0) return git_error("repository " + path + ": cannot tell whether it is shallow", shallow);
  if (shallow == 0) return {};
  return Error{"repository " + path + ": is a shallow clone (its history stops where .git/shallow says); " +
               "libgit2, which tasksync pushes and replays commits with, cannot walk past that boundary, so " +
               "every push would fail with \"object not found\". Fetch the whole history with `git -C " + path +
               " fetch --unshallow`, then start tasksync again"};
}

bool Mirror::checkout_on_branch() {
  if (m_on_branch) return *m_on_branch;
  m_on_branch = checkout_follows(m_repo.get(), branch_ref(m_settings));
  if (*m_on_branch == m_told_other_checkout) {
    if (m_told_other_checkout) {
      log::info("repository: " + branch_ref(m_settings) +
                " is checked out again; tasksync updates its work tree and index");
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

} // namespace tasksync
