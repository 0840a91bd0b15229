#include "api/listing.hpp"

#include <algorithm>
#include <cctype>

#include "api/json_fields.hpp"
#include "api/task_version.hpp"
#include "base/base64.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

bool is_version_number(std::string_view version) {
  return version == "draft" || version == "latest" || (is_decimal(version) && version.size() <= 18);
}

// A name goes into commit subjects: one line, no control characters.
std::string single_line(std::string name) {
  std::replace_if(
      name.begin(), name.end(), [](unsigned char c) { return std::iscntrl(c); }, ' ');
  return name;
}

// The version fields of a list entry, or none: they are a hint, so a missing or bad one costs a
// /latest request, never the page.
std::optional<ListedVersion> listed_version(const rapidjson::Value &entry) {
  const JsonFields fields(entry, "");
  auto code = fields.required_string("code");
  auto language = fields.optional_string("language");
  const auto version = entry.FindMember("latestVersion"); // a string like /latest's, or a number
  if (!code || !language || version == entry.MemberEnd()) return std::nullopt;
  std::string number;
  if (version->value.IsString())
    number.assign(version->value.GetString(), version->value.GetStringLength());
  else if (version->value.IsUint64())
    number = std::to_string(version->value.GetUint64());
  if (!is_version_number(number)) return std::nullopt;
  auto decoded = decode_base64(*code);
  if (!decoded) return std::nullopt;
  ListedVersion listed{std::move(number), std::move(*decoded), std::move(*language), std::nullopt};
  const auto config = entry.FindMember("browserConfiguration");
  if (config != entry.MemberEnd() && !config->value.IsNull()) {
    if (!config->value.IsObject()) return std::nullopt;
    listed.browser_configuration = json_text(config->value);
    if (!listed.browser_configuration) return std::nullopt;
  }
  return listed;
}

} // namespace

Result<std::vector<VersionInfo>> parse_version_list(std::string body, std::string_view task_id) {
  TRY_ASSIGN(auto document, parse_api_response(std::move(body)));
  const rapidjson::Value &data = (*document)["data"];
  TRY(answered_task_id(JsonFields(data, "data."), "taskId", task_id, "list"));
  const auto versions = data.FindMember("versions");
  if (versions == data.MemberEnd() || !versions->value.IsArray()) return Error{"data.versions: expected a list"};
  std::vector<VersionInfo> result;
  for (rapidjson::SizeType i = 0; i < versions->value.Size(); ++i) {
    const std::string prefix = "data.versions[" + std::to_string(i) + "].";
    const rapidjson::Value &entry = versions->value[i];
    if (!entry.IsObject()) return Error{prefix.substr(0, prefix.size() - 1) + ": expected an object"};
    const JsonFields fields(entry, prefix);
    VersionInfo info;
    TRY_ASSIGN(auto version, fields.required_string("version"));
    if (!is_version_number(version)) return Error{prefix + "version: \"" + version + "\" is not a version number"};
    info.version = std::move(version);
    TRY_ASSIGN(auto created, fields.required_time("createdAt", info.created_at));
    info.created = created;
    TRY(fields.required_time("updatedAt", info.updated_at));
    result.push_back(std::move(info));
  }
  return result;
}

Result<TaskInfo> parse_task_info(std::string body, std::string_view task_id) {
  TRY_ASSIGN(auto document, parse_api_response(std::move(body)));
  const rapidjson::Value &data = (*document)["data"];
  const JsonFields fields(data, "data.");
  TaskInfo info;
  TRY_ASSIGN(info.id, answered_task_id(fields, "id", task_id, "answer"));
  TRY_ASSIGN(auto name, fields.optional_string("name"));
  info.name = single_line(name.value_or(""));
  const auto deleted = data.FindMember("deleted");
  info.deleted = deleted != data.MemberEnd() && deleted->value.IsBool() && deleted->value.GetBool();
  return info;
}

Result<long long> parse_task_page(std::string body, const ListedTaskSink &take) {
  TRY_ASSIGN(auto document, parse_api_response(std::move(body)));
  const rapidjson::Value &data = (*document)["data"];
  TRY_ASSIGN(auto total, JsonFields(data, "data.").required_integer("total"));
  const auto tasks = data.FindMember("tasks");
  if (tasks == data.MemberEnd() || !tasks->value.IsArray()) return Error{"data.tasks: expected a list"};
  for (rapidjson::SizeType i = 0; i < tasks->value.Size(); ++i) {
    const std::string prefix = "data.tasks[" + std::to_string(i) + "].";
    const rapidjson::Value &entry = tasks->value[i];
    if (!entry.IsObject()) return Error{prefix.substr(0, prefix.size() - 1) + ": expected an object"};
    const JsonFields fields(entry, prefix);
    TRY_ASSIGN(auto id, fields.required_string("id"));
    if (!is_uuid(id)) return Error{prefix + "id: \"" + id + "\" is not a task ID"};
    TRY_ASSIGN(auto name, fields.optional_string("name"));
    TRY_ASSIGN(auto deleted, fields.required_bool("deleted"));
    take({ascii_lower(id), single_line(name.value_or("")), deleted, listed_version(entry)});
  }
  return total;
}

} // namespace tasksync
