#pragma once

#include <git2.h>

#include <memory>
#include <string>

namespace tasksync {

// Frees a libgit2 object with its own free function.
template <typename T, void (*Free)(T *)>
struct GitFree {
  void operator()(T *object) const { Free(object); }
};

// Owning handles for the libgit2 objects tasksync uses; each C handle is wrapped here once.
using RepositoryPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using ReferencePtr = std::unique_ptr<git_reference, GitFree<git_reference, git_reference_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using TreeEntryPtr = std::unique_ptr<git_tree_entry, GitFree<git_tree_entry, git_tree_entry_free>>;
using TreeBuilderPtr = std::unique_ptr<git_treebuilder, GitFree<git_treebuilder, git_treebuilder_free>>;
using IndexPtr = std::unique_ptr<git_index, GitFree<git_index, git_index_free>>;
using SignaturePtr = std::unique_ptr<git_signature, GitFree<git_signature, git_signature_free>>;

// Initialises libgit2 once per process, with fsync of the git directory turned on so a
// power cut cannot leave a ref pointing at an object that never reached the disk, and large
// trees kept in the object cache.
void ensure_libgit2();

// libgit2's message for the last failure on this thread, or the code when it has none.
std::string git_error_text(int code);

} // namespace tasksync
