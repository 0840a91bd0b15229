#include "publish/local_transport.hpp"

#include <filesystem>

#include "base/git_handles.hpp"
#include "git/branch_update.hpp"
#include "pack/abandoned_packs.hpp"

namespace tasksync::publish_detail {
namespace {

struct PackSink {
  git_odb_writepack *writer;
  git_indexer_progress *progress;
};

int append_to_pack(void *data, size_t size, void *payload) {
  auto *sink = static_cast<PackSink *>(payload);
  return sink->writer->append(sink->writer, data, size, sink->progress);
}

// Copies to `remote` what is reachable from `tips` and not from `before`, as one pack.
Result<void> copy_objects(git_repository *repo, git_repository *remote, const std::vector<git_oid> &tips,
                          const std::optional<git_oid> &before) {
  git_packbuilder *builder_raw = nullptr;
  if (const int rc = git_packbuilder_new(&builder_raw, repo); rc < 0) return git_error("cannot pack", rc);
  const PackBuilderPtr builder(builder_raw);
  git_revwalk *walk_raw = nullptr;
  if (const int rc = git_revwalk_new(&walk_raw, repo); rc < 0) return git_error("cannot walk history", rc);
  const RevwalkPtr walk(walk_raw);
  for (const git_oid &tip : tips) {
    if (const int rc = git_revwalk_push(walk_raw, &tip); rc < 0) return git_error("cannot walk history", rc);
  }
  if (before) {
    if (const int rc = git_revwalk_hide(walk_raw, &*before); rc < 0) return git_error("cannot walk history", rc);
  }
  if (const int rc = git_packbuilder_insert_walk(builder_raw, walk_raw); rc < 0) {
    return git_error("cannot pack the commits", rc);
  }
  if (git_packbuilder_object_count(builder_raw) == 0) return {};
  git_odb *odb_raw = nullptr;
  if (const int rc = git_repository_odb(&odb_raw, remote); rc < 0) return git_error("cannot open its objects", rc);
  const OdbPtr odb(odb_raw);
  git_odb_writepack *writer_raw = nullptr;
  if (const int rc = git_odb_write_pack(&writer_raw, odb_raw, nullptr, nullptr); rc < 0) {
    return git_error("cannot write a pack", rc);
  }
  const OdbWritepackPtr writer(writer_raw);
  git_indexer_progress progress{};
  PackSink sink{writer_raw, &progress};
  if (const int rc = git_packbuilder_foreach(builder_raw, &append_to_pack, &sink); rc < 0) {
    return git_error("cannot write a pack", rc);
  }
  if (const int rc = writer_raw->commit(writer_raw, &progress); rc < 0) return git_error("cannot write a pack", rc);
  return {};
}

// The branch a non-bare `remote` has checked out ("": none, or a bare repository).
std::string checked_out(git_repository *remote) {
  if (git_repository_is_bare(remote)) return "";
  git_reference *head_raw = nullptr;
  if (git_reference_lookup(&head_raw, remote, "HEAD") < 0) return "";
  const ReferencePtr head(head_raw);
  const char *target = git_reference_symbolic_target(head_raw);
  return target ? target : "";
}

// Sets or deletes each of `drafts` in `remote`, into attempt.drafts_done or drafts_refused.
void update_drafts(git_repository *remote, const std::vector<DraftRefUpdate> &drafts, PushAttempt &attempt) {
  const std::string head = checked_out(remote);
  for (const DraftRefUpdate &draft : drafts) {
    if (draft.ref == head) {
      attempt.drafts_refused.push_back({draft.ref, "checked out in a repository that is not bare"});
      continue;
    }
    int rc = 0;
    if (draft.target) {
      git_reference *raw = nullptr;
      rc = git_reference_create(&raw, remote, draft.ref.c_str(), &*draft.target, 1, "tasksync: push");
      const ReferencePtr moved(raw);
    } else if (rc = git_reference_remove(remote, draft.ref.c_str()); rc == GIT_ENOTFOUND) {
      rc = 0; // gone already
    }
    if (rc < 0)
      attempt.drafts_refused.push_back({draft.ref, git_error_text(rc)});
    else
      attempt.drafts_done.push_back(draft);
  }
}

} // namespace

Result<PushAttempt> push_to_local_remote(git_repository *repo, PushSession &session, const git_oid &tip,
                                         const std::vector<DraftRefUpdate> &drafts) {
  const std::filesystem::path &path = session.remote().path;
  git_repository *remote_raw = nullptr;
  if (const int rc = git_repository_open_ext(&remote_raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
      rc < 0) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return session.failure(path.string() + " does not exist");
    return session.git_failure("cannot open " + path.string() + ": ", rc);
  }
  const RepositoryPtr remote(remote_raw);
  if (checked_out(remote_raw) == session.remote_ref()) {
    return session.failure("it has " + session.remote_ref() +
                           " checked out; push to a bare repository (git init --bare)");
  }
  auto before = read_ref(remote_raw, session.remote_ref());
  if (!before) return session.failure(before.error().message);
  PushAttempt attempt{false, *before, tip, {}, {}};
  const bool current = *before && git_oid_equal(&**before, &tip);
  std::vector<git_oid> tips;
  if (!current) tips.push_back(tip);
  for (const DraftRefUpdate &draft : drafts) {
    if (draft.target) tips.push_back(*draft.target);
  }
  if (!current) {
    git_odb *odb_raw = nullptr;
    if (const int rc = git_repository_odb(&odb_raw, repo); rc < 0) return session.git_failure("", rc);
    const OdbPtr local_odb(odb_raw);
    if (*before && (!git_odb_exists(odb_raw, &**before) || git_graph_descendant_of(repo, &tip, &**before) != 1)) {
      return attempt; // not a fast-forward
    }
  }
  if (!tips.empty()) {
    remove_abandoned_packs(std::filesystem::path(git_repository_path(remote_raw)) / "objects/pack");
    if (auto copied = copy_objects(repo, remote_raw, tips, *before); !copied) {
      return session.failure(copied.error().message);
    }
  }
  if (!current) {
    git_reference *moved_raw = nullptr;
    const int rc = git_reference_create_matching(&moved_raw, remote_raw, session.remote_ref().c_str(), &tip,
                                                 *before ? 1 : 0, *before ? &**before : nullptr, "tasksync: push");
    const ReferencePtr moved(moved_raw);
    // Someone else moved (or created, or holds) the remote branch: the caller fetches and replays.
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED || rc == GIT_ENOTFOUND) return attempt;
    if (rc < 0) return session.git_failure("cannot update " + session.remote_ref() + ": ", rc);
  }
  attempt.accepted = true;
  update_drafts(remote_raw, drafts, attempt);
  return attempt;
}

} // namespace tasksync::publish_detail
