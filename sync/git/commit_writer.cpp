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

Result<git_oid> write_mirror_commit(git_repository *repo, const RepoSettings &settings, const Timestamp &author_time,
                                    const std::string &message, const git_tree *tree, const git_commit *parent,
                                    const SigningKey *signer, const std::string &what) {
  git_signature *raw_author = nullptr;
  if (const int rc = git_signature_new(&raw_author, settings.author_name.c_str(), settings.author_email.c_str(),
                                       author_time.unix_seconds, author_time.offset_minutes);
      rc < 0) {
    return git_error("cannot make the author signature", rc);
  }
  const SignaturePtr author(raw_author);
  git_signature *raw_committer = nullptr;
  if (const int rc = git_signature_now(&raw_committer, settings.author_name.c_str(), settings.author_email.c_str());
      rc < 0) {
    return git_error("cannot make the committer signature", rc);
  }
  const SignaturePtr committer(raw_committer);
  const git_commit *parents[1] = {parent};
  return write_commit(
      repo, {author.get(), committer.get(), nullptr, message.c_str(), tree, std::span(parents, parent ? 1 : 0)}, signer,
      what);
}

} // namespace tasksync
