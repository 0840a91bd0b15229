#include "run/list_hint.hpp"

#include <rapidjson/document.h>

#include "api/json_fields.hpp"
#include "pack/object_id.hpp"
#include "render/render.hpp"

namespace tasksync {
namespace {

// The digest of a task directory: its task.json's version, language and browserConfiguration,
// and the id of the code file that language names.
std::optional<ListedDigest> digest_of_directory(const git_oid &directory, const std::string &task_id,
                                                const Mirror &mirror) {
  const auto files = mirror.task_files(directory, task_id);
  if (!files || files->size() != 2) return std::nullopt;
  const Mirror::Entry *code = nullptr;
  const Mirror::Entry *sidecar = nullptr;
  for (const Mirror::Entry &file : *files) {
    if (file.mode != GIT_FILEMODE_BLOB) return std::nullopt;
    (file.name == "task.json" ? sidecar : code) = &file;
  }
  if (!code || !sidecar) return std::nullopt;
  const auto text = mirror.read_blob(sidecar->id, task_id);
  if (!text) return std::nullopt;
  rapidjson::Document document;
  document.Parse(text->data(), text->size());
  if (document.HasParseError() || !document.IsObject()) return std::nullopt;
  const rapidjson::Value &json = document; // const iterators on both sides of ==, as clang wants
  auto version = string_member(json, "version");
  if (!version) return std::nullopt;
  ListedDigest digest{std::move(*version), string_member(json, "language"), code->id, std::nullopt};
  if (code->name != code_file_name(digest.language)) return std::nullopt;
  if (const auto configuration = json.FindMember("browserConfiguration"); configuration != json.MemberEnd()) {
    if (!configuration->value.IsObject()) return std::nullopt;
    digest.configuration_id = object_id(GIT_OBJECT_BLOB, canonical_configuration(configuration->value));
  }
  return digest;
}

bool same_id(const std::optional<git_oid> &a, const std::optional<git_oid> &b) {
  return a.has_value() == b.has_value() && (!a || git_oid_equal(&*a, &*b));
}

} // namespace

std::optional<ListedDigest> HeadDigests::of(const git_oid &directory, const std::string &task_id,
                                            const Mirror &mirror) {
  const std::string key(reinterpret_cast<const char *>(directory.id), GIT_OID_RAWSZ);
  if (const auto known = m_current.find(key); known != m_current.end()) return known->second;
  if (auto known = m_previous.find(key); known != m_previous.end()) {
    return m_current.emplace(key, std::move(known->second)).first->second;
  }
  return m_current.emplace(key, digest_of_directory(directory, task_id, mirror)).first->second;
}

void HeadDigests::end_pass() {
  m_previous = std::move(m_current);
  m_current.clear();
}

bool list_shows_head(const ListEntry &entry, const TasksTree &head, const Mirror &mirror, HeadDigests &digests) {
  const auto directory = head.find(entry.id);
  if (entry.deleted) return !directory;
  if (!directory || directory->mode != GIT_FILEMODE_TREE || !entry.latest) return false;
  const auto in_head = digests.of(directory->id, entry.id, mirror);
  if (!in_head) return false;
  const ListedDigest &listed = *entry.latest;
  return in_head->version == listed.version && in_head->language == listed.language &&
         git_oid_equal(&in_head->code_id, &listed.code_id) &&
         same_id(in_head->configuration_id, listed.configuration_id);
}

} // namespace tasksync
