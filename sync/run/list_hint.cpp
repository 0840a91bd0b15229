#include "run/list_hint.hpp"

#include <rapidjson/document.h>

#include "pack/object_id.hpp"
#include "render/render.hpp"

namespace tasksync {
namespace {

// A string member of `object`, if it is one.
std::optional<std::string> string_member(const rapidjson::Value &object, const char *name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return std::nullopt;
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

// HEAD's task.json says the listed version, language and browserConfiguration.
bool sidecar_says(const std::string &sidecar, const ListedDigest &listed) {
  rapidjson::Document json;
  json.Parse(sidecar.data(), sidecar.size());
  if (json.HasParseError() || !json.IsObject()) return false;
  if (string_member(json, "version") != listed.version || string_member(json, "language") != listed.language) {
    return false;
  }
  const auto configuration = json.FindMember("browserConfiguration");
  if (configuration == json.MemberEnd()) return !listed.configuration_id;
  if (!listed.configuration_id || !configuration->value.IsObject()) return false;
  const git_oid id = object_id(GIT_OBJECT_BLOB, canonical_configuration(configuration->value));
  return git_oid_equal(&id, &*listed.configuration_id);
}

} // namespace

bool list_shows_head(const ListEntry &entry, const TasksTree &head, const Mirror &mirror) {
  const auto directory = head.find(entry.id);
  if (entry.deleted) return !directory;
  if (!directory || directory->mode != GIT_FILEMODE_TREE || !entry.latest) return false;
  const ListedDigest &listed = *entry.latest;
  const auto files = mirror.task_files(directory->id, entry.id);
  if (!files || files->size() != 2) return false;
  const Mirror::Entry *code = nullptr;
  const Mirror::Entry *sidecar = nullptr;
  for (const Mirror::Entry &file : *files) {
    if (file.mode != GIT_FILEMODE_BLOB) return false;
    if (file.name == "task.json") sidecar = &file;
    else if (file.name == code_file_name(listed.language)) code = &file;
  }
  if (!code || !sidecar || !git_oid_equal(&code->id, &listed.code_id)) return false;
  const auto text = mirror.read_blob(sidecar->id, entry.id);
  return text && sidecar_says(*text, listed);
}

} // namespace tasksync
