#include "publish/draft_refs.hpp"

#include <map>

#include "base/git_handles.hpp"
#include "base/text.hpp"
#include "git/git_dir_files.hpp"

namespace tasksync::publish_detail {
namespace {

constexpr const char *kTrackingPrefix = "refs/remotes/tasksync/";

// The direct refs `<root><prefix><task ID>`, by task ID.
Result<std::map<std::string, git_oid>> refs_by_task(git_repository *repo, const std::string &root,
                                                    const std::string &prefix) {
  const std::string glob = root + prefix + "*";
  git_reference_iterator *raw_iterator = nullptr;
  if (const int rc = git_reference_iterator_glob_new(&raw_iterator, repo, glob.c_str()); rc < 0) {
    return git_error("cannot list " + glob, rc);
  }
  const ReferenceIteratorPtr iterator(raw_iterator);
  std::map<std::string, git_oid> refs;
  git_reference *raw_ref = nullptr;
  int rc = 0;
  while ((rc = git_reference_next(&raw_ref, raw_iterator)) == 0) {
    const ReferencePtr ref(raw_ref);
    const std::string task_id = std::string(git_reference_name(raw_ref)).substr(root.size() + prefix.size());
    if (!is_task_id(task_id) || git_reference_type(raw_ref) != GIT_REFERENCE_DIRECT) continue;
    refs[task_id] = *git_reference_target(raw_ref);
  }
  if (rc != GIT_ITEROVER) return git_error("cannot list " + glob, rc);
  return refs;
}

} // namespace

std::string tracking_ref_of(const std::string &branch) { return kTrackingPrefix + branch; }

Result<std::vector<DraftRefUpdate>> draft_ref_updates(git_repository *repo, const std::string &prefix) {
  TRY_ASSIGN(const auto local, refs_by_task(repo, "refs/heads/", prefix));
  TRY_ASSIGN(const auto pushed, refs_by_task(repo, kTrackingPrefix, prefix));
  std::map<std::string, DraftRefUpdate> updates; // by task ID, so in ref order
  for (const auto &[task_id, tip] : local) {
    const auto last = pushed.find(task_id);
    if (last == pushed.end() || !git_oid_equal(&last->second, &tip))
      updates[task_id] = {"refs/heads/" + prefix + task_id, tip};
  }
  for (const auto &[task_id, tip] : pushed) {
    if (!local.contains(task_id)) updates[task_id] = {"refs/heads/" + prefix + task_id, std::nullopt};
  }
  std::vector<DraftRefUpdate> ordered;
  for (auto &[task_id, update] : updates)
    ordered.push_back(std::move(update));
  return ordered;
}

Result<void> record_draft_push(git_repository *repo, const DraftRefUpdate &update) {
  const std::string tracking = tracking_ref_of(update.ref.substr(std::string("refs/heads/").size()));
  if (!update.target) {
    if (const int rc = git_reference_remove(repo, tracking.c_str()); rc < 0 && rc != GIT_ENOTFOUND) {
      return git_error("cannot delete " + tracking, rc);
    }
    return {};
  }
  clear_reflog_paths(repo, tracking);
  git_reference *raw = nullptr;
  const int rc = git_reference_create(&raw, repo, tracking.c_str(), &*update.target, 1, "tasksync: push");
  const ReferencePtr recorded(raw);
  if (rc < 0) return git_error("cannot move " + tracking, rc);
  return {};
}

} // namespace tasksync::publish_detail
