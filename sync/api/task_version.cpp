#include "api/task_version.hpp"

#include <algorithm>
#include <cctype>

#include "api/base64.hpp"
#include "api/json_fields.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

bool is_safe_version(std::string_view version) {
  return !version.empty() && version.size() <= 64 && std::all_of(version.begin(), version.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

} // namespace

Result<TaskVersion> parse_task_version(std::string_view body, std::string_view expected_task_id) {
  auto document = parse_api_response(body);
  if (!document) return document.error();
  const rapidjson::Value &data = (**document)["data"];
  const JsonFields fields(data, "data.");

  TaskVersion version;
  auto id = fields.required_string("id");
  if (!id) return id.error();
  version.id = std::move(*id);

  auto task_id = fields.required_string("taskId");
  if (!task_id) return task_id.error();
  version.task_id = ascii_lower(*task_id);
  if (version.task_id != ascii_lower(expected_task_id)) {
    return Error{"data.taskId: the response is for task \"" + *task_id + "\", not the one requested"};
  }

  auto number = fields.required_string("version");
  if (!number) return number.error();
  if (!is_safe_version(*number)) return Error{"data.version: \"" + *number + "\" is not a version identifier"};
  version.version = std::move(*number);

  auto deleted = fields.required_bool("deleted");
  if (!deleted) return deleted.error();
  version.deleted = *deleted;

  auto created = fields.required_time("createdAt", version.created_at);
  if (!created) return created.error();
  auto updated = fields.required_time("updatedAt", version.updated_at);
  if (!updated) return updated.error();
  version.updated = *updated;

  auto language = fields.optional_string("language");
  if (!language) return language.error();
  version.language = std::move(*language);
  auto description = fields.optional_string("description");
  if (!description) return description.error();
  version.description = std::move(*description);

  auto code = fields.required_string("code");
  if (!code) return code.error();
  auto decoded = decode_base64(*code);
  if (!decoded) return Error{"data.code: " + decoded.error().message};
  version.code = std::move(*decoded);

  const auto config_it = data.FindMember("browserConfiguration");
  if (config_it != data.MemberEnd() && !config_it->value.IsNull()) {
    if (!config_it->value.IsObject()) return Error{"data.browserConfiguration: expected an object"};
    auto config = std::make_shared<rapidjson::Document>();
    config->CopyFrom(config_it->value, config->GetAllocator());
    version.browser_configuration = std::move(config);
  }
  return version;
}

} // namespace tasksync
