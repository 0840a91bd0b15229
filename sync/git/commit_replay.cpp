#include "git/commit_replay.hpp"

#include <algorithm>
#include <string>

#include "git/commit_writer.hpp"

namespace tasksync {
namespace {

Result<CommitPtr> lookup_commit(git_repository *repo, const git_oid &id) {
  git_commit *raw = nullptr;
  if (const int rc = git_commit_lookup(&raw, repo, &id); rc < 0) {
    return git_error(std::string("cannot read commit ") + git_oid_tostr_s(&id), rc);
  }
  return CommitPtr(raw);
}

} // namespace

Result<std::vector<git_oid>> commits_between(git_repository *repo, const git_oid &tip,
                                             const std::optional<git_oid> &hidden) {
  git_revwalk *raw = nullptr;
  if (const int rc = git_revwalk_new(&raw, repo); rc < 0) return git_error("cannot walk history", rc);
  const RevwalkPtr walk(raw);
  git_revwalk_sorting(raw, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  if (const int rc = git_revwalk_push(raw, &tip); rc < 0) return git_error("cannot walk history", rc);
  if (hidden) {
    if (const int rc = git_revwalk_hide(raw, &*hidden); rc < 0) return git_error("cannot walk history", rc);
  }
  std::vector<git_oid> commits;
  git_oid id;
  int rc = 0;
  while ((rc = git_revwalk_next(&id, raw)) == 0)
    commits.push_back(id);
  if (rc != GIT_ITEROVER) return git_error("cannot walk history", rc);
  return commits;
}

Result<TreePtr> commit_tree(git_repository *repo, const git_oid &commit_id) {
  TRY_ASSIGN(const CommitPtr commit, lookup_commit(repo, commit_id));
  git_tree *raw = nullptr;
  if (const int rc = git_commit_tree(&raw, commit.get()); rc < 0) {
    return git_error(std::string("cannot read the tree of ") + git_oid_tostr_s(&commit_id), rc);
  }
  return TreePtr(raw);
}

namespace {

Result<TreePtr> lookup_tree(git_repository *repo, const git_oid &id) {
  git_tree *raw = nullptr;
  if (const int rc = git_tree_lookup(&raw, repo, &id); rc < 0) return git_error("cannot read a tree", rc);
  return TreePtr(raw);
}

std::optional<TreeEntryPtr> entry_at(const git_tree *tree, const std::string &path) {
  git_tree_entry *raw = nullptr;
  if (git_tree_entry_bypath(&raw, tree, path.c_str()) < 0) return std::nullopt;
  return TreeEntryPtr(raw);
}

// What a commit replaces as a whole: its task's directory, or the file itself outside tasks/.
std::string unit_of(const std::string &path) {
  if (!path.starts_with("tasks/")) return path;
  const std::size_t slash = path.find('/', 6);
  return slash == std::string::npos ? path : path.substr(0, slash);
}

Result<std::vector<std::string>> touched_units(git_repository *repo, const git_commit *commit, const git_tree *tree) {
  TreePtr parent_tree;
  if (git_commit_parentcount(commit) > 0) {
    TRY_ASSIGN(parent_tree, commit_tree(repo, *git_commit_parent_id(commit, 0)));
  }
  git_diff *raw = nullptr;
  if (const int rc = git_diff_tree_to_tree(&raw, repo, parent_tree.get(), const_cast<git_tree *>(tree), nullptr);
      rc < 0) {
    return git_error("cannot diff a commit with its parent", rc);
  }
  const DiffPtr diff(raw);
  std::vector<std::string> units;
  for (std::size_t i = 0; i < git_diff_num_deltas(raw); ++i) {
    const git_diff_delta *delta = git_diff_get_delta(raw, i);
    for (const char *path : {delta->old_file.path, delta->new_file.path}) {
      if (!path) continue;
      std::string unit = unit_of(path);
      if (std::find(units.begin(), units.end(), unit) == units.end()) units.push_back(std::move(unit));
    }
  }
  return units;
}

Result<git_oid> apply_updates(git_repository *repo, const git_oid &tree_id,
                              const std::vector<git_tree_update> &updates) {
  if (updates.empty()) return tree_id;
  TRY_ASSIGN(const TreePtr tree, lookup_tree(repo, tree_id));
  git_oid result;
  if (const int rc = git_tree_create_updated(&result, repo, tree.get(), updates.size(), updates.data()); rc < 0) {
    return git_error("cannot build a replayed tree", rc);
  }
  return result;
}

// The base tree with each unit as the commit has it (or without it, if the commit removed it):
// the replaying mirror's content wins on its own tasks, other mirrors' tasks stay.
Result<git_oid> replace_units(git_repository *repo, const git_tree *base, const git_tree *replayed,
                              const std::vector<std::string> &units) {
  std::vector<git_tree_update> removals;
  std::vector<git_tree_update> upserts;
  for (const std::string &unit : units) {
    const auto want = entry_at(replayed, unit);
    const auto have = entry_at(base, unit);
    if (want && have && git_oid_equal(git_tree_entry_id(want->get()), git_tree_entry_id(have->get())) &&
        git_tree_entry_filemode(want->get()) == git_tree_entry_filemode(have->get())) {
      continue;
    }
    // A file cannot be upserted over a directory (or back): remove first, in a separate pass.
    if (have && (!want || git_tree_entry_type(want->get()) != git_tree_entry_type(have->get()))) {
      removals.push_back({GIT_TREE_UPDATE_REMOVE, *git_tree_entry_id(have->get()), git_tree_entry_filemode(have->get()),
                          unit.c_str()});
    }
    if (want) {
      upserts.push_back({GIT_TREE_UPDATE_UPSERT, *git_tree_entry_id(want->get()), git_tree_entry_filemode(want->get()),
                         unit.c_str()});
    }
  }
  TRY_ASSIGN(const git_oid removed, apply_updates(repo, *git_tree_id(base), removals));
  return apply_updates(repo, removed, upserts);
}

} // namespace

Result<std::optional<git_oid>> replay_commit(git_repository *repo, const git_oid &id, const git_oid &base_id,
                                             const ReplaySigning &signing) {
  TRY_ASSIGN(const CommitPtr commit, lookup_commit(repo, id));
  TRY_ASSIGN(const TreePtr tree, commit_tree(repo, id));
  TRY_ASSIGN(const auto units, touched_units(repo, commit.get(), tree.get()));
  TRY_ASSIGN(const CommitPtr base, lookup_commit(repo, base_id));
  TRY_ASSIGN(const TreePtr base_tree, commit_tree(repo, base_id));
  TRY_ASSIGN(const git_oid new_tree_id, replace_units(repo, base_tree.get(), tree.get(), units));
  if (git_oid_equal(&new_tree_id, git_tree_id(base_tree.get()))) return std::optional<git_oid>{};
  TRY_ASSIGN(const TreePtr new_tree, lookup_tree(repo, new_tree_id));

  const git_signature *committer = git_commit_committer(commit.get());
  git_signature *now_raw = nullptr;
  if (const int rc = git_signature_now(&now_raw, committer->name, committer->email); rc < 0) {
    return git_error("cannot make the committer signature", rc);
  }
  const SignaturePtr now(now_raw);
  const git_commit *parents[1] = {base.get()};
  const git_signature *author = git_commit_author(commit.get());
  const SigningKey *signer = signing.author_email == author->email ? signing.key : nullptr;
  auto result = write_commit(repo,
                             {author, now.get(), git_commit_message_encoding(commit.get()),
                              git_commit_message_raw(commit.get()), new_tree.get(), parents},
                             signer, "a replayed commit");
  if (!result) return result.error();
  return std::optional<git_oid>(*result);
}

std::size_t ReplayedCommits::count() const {
  return static_cast<std::size_t>(
      std::count_if(rebuilt.begin(), rebuilt.end(), [](const auto &id) { return id.has_value(); }));
}

Result<ReplayedCommits> replay_commits(git_repository *repo, const std::vector<git_oid> &commits, const git_oid &base,
                                       const ReplaySigning &signing) {
  ReplayedCommits replayed{base, {}};
  for (const git_oid &id : commits) {
    TRY_ASSIGN(const std::optional<git_oid> rebuilt, replay_commit(repo, id, replayed.tip, signing));
    if (rebuilt) replayed.tip = *rebuilt;
    replayed.rebuilt.push_back(rebuilt);
  }
  return replayed;
}

void note_replaced(ReplacedCommits &replaced, const std::vector<git_oid> &commits, const ReplayedCommits &replayed) {
  for (std::size_t i = 0; i < commits.size() && i < replayed.rebuilt.size(); ++i) {
    const auto &rebuilt = replayed.rebuilt[i];
    replaced[git_oid_tostr_s(&commits[i])] =
        rebuilt ? std::optional<std::string>(git_oid_tostr_s(&*rebuilt)) : std::nullopt;
  }
}

std::optional<std::string> current_id(const ReplacedCommits &replaced, std::string id) {
  // Each rebuilt commit is new, so the chain ends; the bound only guards a corrupt map.
  for (std::size_t step = 0; step <= replaced.size(); ++step) {
    const auto found = replaced.find(id);
    if (found == replaced.end()) return id;
    if (!found->second) return std::nullopt;
    id = *found->second;
  }
  return id;
}

bool checkout_follows(git_repository *repo, const std::string &branch_ref) {
  git_reference *raw = nullptr;
  if (git_reference_lookup(&raw, repo, "HEAD") < 0) return false;
  const ReferencePtr head(raw);
  return git_reference_type(raw) == GIT_REFERENCE_SYMBOLIC && branch_ref == git_reference_symbolic_target(raw);
}

} // namespace tasksync
