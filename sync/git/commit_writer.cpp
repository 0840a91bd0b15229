#include "git/commit_writer.hpp"

#include <string>
#include <string_view>

#include "base/git_handles.hpp"
#include "git/ssh_signature.hpp"

namespace tasksync {

Result<git_oid> write_commit(git_repository *repo, const NewCommit &commit, const SigningKey *signer,
                             const std::string &what) {
  const auto parent_count = commit.parents.size();
  git_oid id;
  if (!signer) {
    if (const int rc = git_commit_create(&id, repo, nullptr, commit.author, commit.committer, commit.message_encoding,
                                         commit.message, commit.tree, parent_count, commit.parents.data());
        rc < 0) {
      return git_error("cannot write " + what, rc);
    }
    return id;
  }
  // git signs the commit's text without the gpgsig header, and puts the header after the
  // committer line: libgit2 builds the text, we sign it, libgit2 inserts the header and stores it.
  git_buf text = GIT_BUF_INIT;
  const BufPtr owned(&text);
  if (const int rc = git_commit_create_buffer(&text, repo, commit.author, commit.committer, commit.message_encoding,
                                              commit.message, commit.tree, parent_count, commit.parents.data());
      rc < 0) {
    return git_error("cannot build " + what, rc);
  }
  auto signature = ssh_signature(*signer, std::string_view(text.ptr, text.size), kGitSignatureNamespace);
  if (!signature) return Error{"cannot sign " + what + ": " + signature.error().message};
  if (const int rc = git_commit_create_with_signature(&id, repo, text.ptr, signature->c_str(), "gpgsig"); rc < 0) {
    return git_error("cannot write " + what, rc);
  }
  return id;
}

} // namespace tasksync
