#include "git/head_reader.hpp"

#include <rapidjson/document.h>

namespace tasksync {

const HeadFile *HeadTask::find(const std::string &name) const {
  for (const HeadFile &file : files) {
    if (file.name == name) return &file;
  }
  return nullptr;
}

std::string HeadTask::version() const {
  const HeadFile *sidecar = find("task.json");
  if (!sidecar) return {};
  rapidjson::Document document;
  document.Parse(sidecar->content.data(), sidecar->content.size());
  if (document.HasParseError() || !document.IsObject()) return {};
  const auto version = document.FindMember("version");
  if (version == document.MemberEnd() || !version->value.IsString()) return {};
  return {version->value.GetString(), version->value.GetStringLength()};
}

Result<std::unique_ptr<HeadReader>> HeadReader::open(const std::filesystem::path &git_dir) {
  git_repository *raw = nullptr;
  if (const int rc = git_repository_open_ext(&raw, git_dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr); rc < 0) {
    return git_error("cannot open repository " + git_dir.string() + " for reading", rc);
  }
  return std::unique_ptr<HeadReader>(new HeadReader(RepositoryPtr(raw)));
}

Result<HeadTask> HeadReader::read(const git_oid &directory, const std::string &task_id) {
  const std::lock_guard lock(m_mutex);
  const std::string where = "tasks/" + task_id + " in HEAD";
  git_tree *raw_tree = nullptr;
  if (const int rc = git_tree_lookup(&raw_tree, m_repo.get(), &directory); rc < 0) {
    return git_error("cannot read " + where, rc);
  }
  const TreePtr tree(raw_tree);
  HeadTask task;
  for (std::size_t i = 0; i < git_tree_entrycount(raw_tree); ++i) {
    const git_tree_entry *entry = git_tree_entry_byindex(raw_tree, i);
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) continue;
    git_blob *raw_blob = nullptr;
    if (const int rc = git_blob_lookup(&raw_blob, m_repo.get(), git_tree_entry_id(entry)); rc < 0) {
      return git_error("cannot read a file of " + where, rc);
    }
    const BlobPtr blob(raw_blob);
    task.files.push_back({git_tree_entry_name(entry), *git_tree_entry_id(entry),
                          std::string(static_cast<const char *>(git_blob_rawcontent(raw_blob)),
                                      static_cast<std::size_t>(git_blob_rawsize(raw_blob)))});
  }
  return task;
}

} // namespace tasksync
