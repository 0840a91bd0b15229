#pragma once

#include <git2.h>

#include <memory>
#include <string>

#include "base/result.hpp"

namespace tasksync {

// Frees a libgit2 object with its own free function.
template <typename T, void (*Free)(T *)> struct GitFree {
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
using BlobPtr = std::unique_ptr<git_blob, GitFree<git_blob, git_blob_free>>;
using StatusListPtr = std::unique_ptr<git_status_list, GitFree<git_status_list, git_status_list_free>>;
using PackBuilderPtr = std::unique_ptr<git_packbuilder, GitFree<git_packbuilder, git_packbuilder_free>>;
using RemotePtr = std::unique_ptr<git_remote, GitFree<git_remote, git_remote_free>>;
using RevwalkPtr = std::unique_ptr<git_revwalk, GitFree<git_revwalk, git_revwalk_free>>;
using DiffPtr = std::unique_ptr<git_diff, GitFree<git_diff, git_diff_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;
using OdbPtr = std::unique_ptr<git_odb, GitFree<git_odb, git_odb_free>>;
using OdbObjectPtr = std::unique_ptr<git_odb_object, GitFree<git_odb_object, git_odb_object_free>>;
using PatchPtr = std::unique_ptr<git_patch, GitFree<git_patch, git_patch_free>>;
using BufPtr = std::unique_ptr<git_buf, GitFree<git_buf, git_buf_dispose>>;
using ReferenceIteratorPtr =
    std::unique_ptr<git_reference_iterator, GitFree<git_reference_iterator, git_reference_iterator_free>>;
// Frees what a git_message_trailer_array holds (not the array struct, which its caller owns).
using TrailersPtr =
    std::unique_ptr<git_message_trailer_array, GitFree<git_message_trailer_array, git_message_trailer_array_free>>;
// A pack being written into an object database frees itself through its own function pointer.
inline void free_odb_writepack(git_odb_writepack *writepack) { writepack->free(writepack); }
using OdbWritepackPtr = std::unique_ptr<git_odb_writepack, GitFree<git_odb_writepack, free_odb_writepack>>;

// Initialises libgit2 once per process, with fsync of the git directory turned on so a
// power cut cannot leave a ref pointing at an object that never reached the disk, and a small
// object cache.
void ensure_libgit2();

// libgit2's message for the last failure on this thread, or the code when it has none.
std::string git_error_text(int code);

// A libgit2 failure as an Error: `what`, a colon, then libgit2's message for `code`.
Error git_error(const std::string &what, int code);

} // namespace tasksync
