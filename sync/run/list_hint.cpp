#include "run/list_hint.hpp"

#include <rapidjson/document.h>

#include "pack/task_directory.hpp"
#include "render/render.hpp"

namespace tasksync {
namespace {

// A string member of `object`, if it is one.
std::optional<std::string> string_member(const rapidjson::Value &object, const char *name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return std::nullopt;
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

} // namespace

bool list_shows_head(const ListedTask &entry, const TasksTree &head, const Mirror &mirror) {
  const auto directory = head.find(entry.id);
  if (entry.deleted) return !directory;
  if (!directory || directory->mode != GIT_FILEMODE_TREE || !entry.latest) return false;
  const auto sidecar = mirror.read_task_file(directory->id, entry.id, "task.json");
  if (!sidecar || !*sidecar) return false;
  rapidjson::Document head_json;
  head_json.Parse((*sidecar)->data(), (*sidecar)->size());
  if (head_json.HasParseError() || !head_json.IsObject()) return false;
  auto created_at = string_member(head_json, "createdAt");
  auto updated_at = string_member(head_json, "updatedAt");
  if (!created_at || !updated_at) return false;

  TaskVersion probe;
  probe.task_id = entry.id;
  probe.version = entry.latest->version;
  probe.code = entry.latest->code;
  probe.language = entry.latest->language;
  probe.browser_configuration = entry.latest->browser_configuration;
  probe.description = string_member(head_json, "description");
  probe.created_at = std::move(*created_at);
  probe.updated_at = std::move(*updated_at);
  const git_oid probed = directory_id(render(probe));
  return git_oid_equal(&probed, &directory->id);
}

} // namespace tasksync
