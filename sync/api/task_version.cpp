#include "api/task_version.hpp"

#include <algorithm>
#include <cctype>

#include "api/json_fields.hpp"
#include "base/base64.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

bool is_safe_version(std::string_view version) {
  return !version.empty() && version.size() <= 64 && std::all_of(version.begin(), version.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

} // namespace

Result<TaskVersion> parse_task_version(std::string body, std::string_view expected_task_id) {
  TRY_ASSIGN(auto document, parse_api_response(std::move(body)));
  const rapidjson::Value &data = (*document)["data"];
  const JsonFields fields(data, "data.");

  TaskVersion version;
  TRY_ASSIGN(auto id, fields.required_string("id"));
  version.id = std::move(id);

  TRY_ASSIGN(version.task_id,
             answered_task_id(fields, "taskId", expected_task_id, "response", ", not the one requested"));

  TRY_ASSIGN(auto number, fields.required_string("version"));
  if (!is_safe_version(number)) return Error{"data.version: \"" + number + "\" is not a version identifier"};
  version.version = std::move(number);

  TRY_ASSIGN(auto deleted, fields.required_bool("deleted"));
  version.deleted = deleted;

  TRY(fields.required_time("createdAt", version.created_at));
  TRY_ASSIGN(auto updated, fields.required_time("updatedAt", version.updated_at));
  version.updated = updated;

  TRY_ASSIGN(auto language, fields.optional_string("language"));
  version.language = std::move(language);
  TRY_ASSIGN(auto description, fields.optional_string("description"));
  version.description = std::move(description);

  TRY_ASSIGN(auto code, fields.required_string("code"));
  auto decoded = decode_base64(code);
  if (!decoded) return Error{"data.code: " + decoded.error().message};
  version.code = std::move(*decoded);

  const auto config_it = data.FindMember("browserConfiguration");
  if (config_it != data.MemberEnd() && !config_it->value.IsNull()) {
    if (!config_it->value.IsObject()) return Error{"data.browserConfiguration: expected an object"};
    // Copied through its text: the response was parsed in place, its strings point into the
    // body, and RapidJSON 1.1's CopyFrom copies such strings by reference.
    const auto text = json_text(config_it->value);
    auto config = std::make_shared<rapidjson::Document>();
    if (text) config->Parse<rapidjson::kParseIterativeFlag>(text->data(), text->size());
    if (!text || config->HasParseError()) return Error{"data.browserConfiguration: cannot be copied"};
    version.browser_configuration = std::move(config);
  }
  return version;
}

Result<std::string> answered_task_id(const JsonFields &data, const char *key, std::string_view asked,
                                     std::string_view answer, std::string_view tail) {
  TRY_ASSIGN(auto id, data.required_string(key));
  if (ascii_lower(id) != ascii_lower(asked)) {
    return Error{"data." + std::string(key) + ": the " + std::string(answer) + " is for task \"" + id + "\"" +
                 std::string(tail)};
  }
  return ascii_lower(id);
}

} // namespace tasksync
