#include "api/listing.hpp"

#include <algorithm>
#include <cctype>

#include "api/json_fields.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

bool is_version_number(std::string_view version) {
  return version == "draft" || version == "latest" ||
         (!version.empty() && version.size() <= 18 &&
          std::all_of(version.begin(), version.end(), [](unsigned char c) { return std::isdigit(c); }));
}

// A name goes into commit subjects: one line, no control characters.
std::string single_line(std::string name) {
  std::replace_if(name.begin(), name.end(), [](unsigned char c) { return std::iscntrl(c); }, ' ');
  return name;
}

} // namespace

Result<std::vector<VersionInfo>> parse_version_list(std::string_view body, std::string_view task_id) {
  auto document = parse_api_response(body);
  if (!document) return document.error();
  const rapidjson::Value &data = (**document)["data"];
  auto id = JsonFields(data, "data.").required_string("taskId");
  if (!id) return id.error();
  if (ascii_lower(*id) != ascii_lower(task_id)) return Error{"data.taskId: the list is for task \"" + *id + "\""};
  const auto versions = data.FindMember("versions");
  if (versions == data.MemberEnd() || !versions->value.IsArray()) return Error{"data.versions: expected a list"};
  std::vector<VersionInfo> result;
  for (rapidjson::SizeType i = 0; i < versions->value.Size(); ++i) {
    const std::string prefix = "data.versions[" + std::to_string(i) + "].";
    const rapidjson::Value &entry = versions->value[i];
    if (!entry.IsObject()) return Error{prefix.substr(0, prefix.size() - 1) + ": expected an object"};
    const JsonFields fields(entry, prefix);
    VersionInfo info;
    auto version = fields.required_string("version");
    if (!version) return version.error();
    if (!is_version_number(*version)) return Error{prefix + "version: \"" + *version + "\" is not a version number"};
    info.version = std::move(*version);
    auto created = fields.required_time("createdAt", info.created_at);
    if (!created) return created.error();
    info.created = *created;
    auto updated = fields.required_time("updatedAt", info.updated_at);
    if (!updated) return updated.error();
    result.push_back(std::move(info));
  }
  return result;
}

Result<TaskInfo> parse_task_info(std::string_view body, std::string_view task_id) {
  auto document = parse_api_response(body);
  if (!document) return document.error();
  const rapidjson::Value &data = (**document)["data"];
  const JsonFields fields(data, "data.");
  TaskInfo info;
  auto id = fields.required_string("id");
  if (!id) return id.error();
  if (ascii_lower(*id) != ascii_lower(task_id)) return Error{"data.id: the answer is for task \"" + *id + "\""};
  info.id = ascii_lower(*id);
  auto name = fields.optional_string("name");
  if (!name) return name.error();
  info.name = single_line(name->value_or(""));
  const auto deleted = data.FindMember("deleted");
  info.deleted = deleted != data.MemberEnd() && deleted->value.IsBool() && deleted->value.GetBool();
  return info;
}

Result<TaskPage> parse_task_page(std::string_view body) {
  auto document = parse_api_response(body);
  if (!document) return document.error();
  const rapidjson::Value &data = (**document)["data"];
  TaskPage page;
  auto total = JsonFields(data, "data.").required_integer("total");
  if (!total) return total.error();
  page.total = *total;
  const auto tasks = data.FindMember("tasks");
  if (tasks == data.MemberEnd() || !tasks->value.IsArray()) return Error{"data.tasks: expected a list"};
  for (rapidjson::SizeType i = 0; i < tasks->value.Size(); ++i) {
    const std::string prefix = "data.tasks[" + std::to_string(i) + "].";
    const rapidjson::Value &entry = tasks->value[i];
    if (!entry.IsObject()) return Error{prefix.substr(0, prefix.size() - 1) + ": expected an object"};
    const JsonFields fields(entry, prefix);
    auto id = fields.required_string("id");
    if (!id) return id.error();
    if (!is_uuid(*id)) return Error{prefix + "id: \"" + *id + "\" is not a task ID"};
    auto name = fields.optional_string("name");
    if (!name) return name.error();
    auto deleted = fields.required_bool("deleted");
    if (!deleted) return deleted.error();
    page.tasks.push_back({ascii_lower(*id), single_line(name->value_or("")), *deleted});
  }
  return page;
}

} // namespace tasksync
