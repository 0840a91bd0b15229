#include "git/draft_branches.hpp"

#include <limits>

#include "base/git_handles.hpp"
#include "base/text.hpp"
#include "git/commit_writer.hpp"

namespace tasksync {
namespace {

// The draft's trailers of `message` into `branch`.
void read_trailers(const char *message, DraftBranch &branch) {
  git_message_trailer_array trailers{};
  if (git_message_trailers(&trailers, message) != 0) return;
  const TrailersPtr owned(&trailers);
  for (std::size_t i = 0; i < trailers.count; ++i) {
    const std::string key = trailers.trailers[i].key;
    const std::string value = trailers.trailers[i].value;
    if (key == "Task-Draft-Id") branch.draft_id = value;
    if (key == "Task-Updated-At") branch.updated_at = value;
    if (key == "Task-Healed") branch.healed = value == "true";
  }
}

// A tree builder over `tree` (null: an empty one).
Result<TreeBuilderPtr> builder_of(git_repository *repo, const git_tree *tree) {
  git_treebuilder *raw = nullptr;
  if (const int rc = git_treebuilder_new(&raw, repo, tree); rc < 0) return git_error("cannot build a tree", rc);
  return TreeBuilderPtr(raw);
}

Result<git_oid> write_built(git_treebuilder *builder) {
  git_oid id;
  if (const int rc = git_treebuilder_write(&id, builder); rc < 0) return git_error("cannot write a tree", rc);
  return id;
}

// `root` (null: empty) with tasks/<task_id> replaced by the tree `directory`.
Result<git_oid> with_task_directory(git_repository *repo, const git_tree *root, const std::string &task_id,
                                    const git_oid &directory) {
  TreePtr tasks;
  if (const git_tree_entry *entry = root ? git_tree_entry_byname(root, "tasks") : nullptr;
      entry && git_tree_entry_type(entry) == GIT_OBJECT_TREE) {
    git_tree *raw = nullptr;
    if (const int rc = git_tree_lookup(&raw, repo, git_tree_entry_id(entry)); rc < 0) {
      return git_error("cannot read tasks/", rc);
    }
    tasks.reset(raw);
  }
  TRY_ASSIGN(auto tasks_builder, builder_of(repo, tasks.get()));
  if (const int rc =
          git_treebuilder_insert(nullptr, tasks_builder.get(), task_id.c_str(), &directory, GIT_FILEMODE_TREE);
      rc < 0) {
    return git_error("cannot put tasks/" + task_id + " in a tree", rc);
  }
  TRY_ASSIGN(const git_oid tasks_id, write_built(tasks_builder.get()));
  TRY_ASSIGN(auto root_builder, builder_of(repo, root));
  if (const int rc = git_treebuilder_insert(nullptr, root_builder.get(), "tasks", &tasks_id, GIT_FILEMODE_TREE);
      rc < 0) {
    return git_error("cannot put tasks/ in a tree", rc);
  }
  return write_built(root_builder.get());
}

} // namespace

Result<std::vector<DraftBranch>> read_draft_branches(git_repository *repo, const std::string &prefix) {
  const std::string glob = "refs/heads/" + prefix + "*";
  git_reference_iterator *raw_iterator = nullptr;
  if (const int rc = git_reference_iterator_glob_new(&raw_iterator, repo, glob.c_str()); rc < 0) {
    return git_error("cannot list " + glob, rc);
  }
  const ReferenceIteratorPtr iterator(raw_iterator);
  std::vector<DraftBranch> branches;
  git_reference *raw_ref = nullptr;
  while (git_reference_next(&raw_ref, iterator.get()) == 0) {
    const ReferencePtr ref(raw_ref);
    DraftBranch branch;
    branch.ref = git_reference_name(raw_ref);
    branch.task_id = branch.ref.substr(std::string("refs/heads/").size() + prefix.size());
    if (!is_task_id(branch.task_id) || git_reference_type(raw_ref) != GIT_REFERENCE_DIRECT) continue;
    branch.tip = *git_reference_target(raw_ref);
    git_commit *raw_commit = nullptr;
    if (const int rc = git_commit_lookup(&raw_commit, repo, &branch.tip); rc < 0) {
      return git_error("cannot read the commit of " + branch.ref, rc);
    }
    const CommitPtr commit(raw_commit);
    if (git_commit_parentcount(raw_commit) > 0) branch.base = *git_commit_parent_id(raw_commit, 0);
    git_tree_entry *raw_entry = nullptr;
    git_tree *raw_tree = nullptr;
    if (git_commit_tree(&raw_tree, raw_commit) == 0) {
      const TreePtr tree(raw_tree);
      if (git_tree_entry_bypath(&raw_entry, raw_tree, ("tasks/" + branch.task_id).c_str()) == 0) {
        const TreeEntryPtr entry(raw_entry);
        branch.directory = *git_tree_entry_id(raw_entry);
      }
    }
    branch.message = git_commit_message(raw_commit);
    read_trailers(branch.message.c_str(), branch);
    branches.push_back(std::move(branch));
  }
  return branches;
}

Result<git_oid> write_task_directory(git_repository *repo, const Snapshot &snapshot) {
  TRY_ASSIGN(auto builder, builder_of(repo, nullptr));
  for (const RenderedFile &file : snapshot.files) {
    git_oid blob;
    if (const int rc = git_blob_create_from_buffer(&blob, repo, file.content.data(), file.content.size()); rc < 0) {
      return git_error("cannot write " + file.name, rc);
    }
    if (const int rc = git_treebuilder_insert(nullptr, builder.get(), file.name.c_str(), &blob, GIT_FILEMODE_BLOB);
        rc < 0) {
      return git_error("cannot put " + file.name + " in a tree", rc);
    }
  }
  return write_built(builder.get());
}

Result<git_oid> write_draft_commit(git_repository *repo, const git_commit *base, const std::string &task_id,
                                   const git_oid &directory, const std::string &message, const Timestamp &author_time,
                                   const RepoSettings &settings, const SigningKey *signer) {
  TreePtr base_tree;
  if (base) {
    git_tree *raw = nullptr;
    if (const int rc = git_commit_tree(&raw, base); rc < 0) return git_error("cannot read the branch tip's tree", rc);
    base_tree.reset(raw);
  }
  TRY_ASSIGN(const git_oid tree_id, with_task_directory(repo, base_tree.get(), task_id, directory));
  git_tree *raw_tree = nullptr;
  if (const int rc = git_tree_lookup(&raw_tree, repo, &tree_id); rc < 0) return git_error("cannot read a tree", rc);
  const TreePtr tree(raw_tree);
  // A commit date is unsigned 32-bit seconds: a draft dated outside it is clamped.
  const Timestamp author{
      std::clamp<std::int64_t>(author_time.unix_seconds, 0, std::numeric_limits<std::uint32_t>::max()),
      author_time.offset_minutes};
  return write_mirror_commit(repo, settings, author, message, tree.get(), base, signer,
                             "the draft commit for " + task_id);
}

} // namespace tasksync
