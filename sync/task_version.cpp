#include "task_version.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>

#include "base64.hpp"

namespace tasksync {
namespace {

// RapidJSON's iterative parser keeps deep input off the stack, but everything that walks the
// tree afterwards recurses: refuse absurd nesting before parsing.
bool nesting_within(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

bool is_safe_version(std::string_view version) {
  return !version.empty() && version.size() <= 64 && std::all_of(version.begin(), version.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class Fields {
public:
  explicit Fields(const rapidjson::Value &object) : m_object(object) {}

  Result<std::string> required_string(const char *name) const {
    const auto it = m_object.FindMember(name);
    if (it == m_object.MemberEnd()) return missing(name);
    if (!it->value.IsString()) return wrong_type(name, "a string");
    return std::string(it->value.GetString(), it->value.GetStringLength());
  }

  Result<std::optional<std::string>> optional_string(const char *name) const {
    const auto it = m_object.FindMember(name);
    if (it == m_object.MemberEnd() || it->value.IsNull()) return std::optional<std::string>{};
    if (!it->value.IsString()) return wrong_type(name, "a string");
    return std::optional<std::string>(std::string(it->value.GetString(), it->value.GetStringLength()));
  }

  Result<bool> required_bool(const char *name) const {
    const auto it = m_object.FindMember(name);
    if (it == m_object.MemberEnd()) return missing(name);
    if (!it->value.IsBool()) return wrong_type(name, "true or false");
    return it->value.GetBool();
  }

  Result<Timestamp> required_time(const char *name, std::string &text) const {
    auto value = required_string(name);
    if (!value) return value.error();
    text = *value;
    auto parsed = parse_rfc3339(text);
    if (!parsed) return Error{std::string("data.") + name + ": \"" + text + "\" is not an RFC 3339 date-time"};
    return *parsed;
  }

private:
  static Error missing(const char *name) { return Error{std::string("data.") + name + ": missing required field"}; }
  static Error wrong_type(const char *name, const char *expected) {
    return Error{std::string("data.") + name + ": expected " + expected};
  }

  const rapidjson::Value &m_object;
};

} // namespace

Result<TaskVersion> parse_task_version(std::string_view body, std::string_view expected_task_id) {
  if (!nesting_within(body, kMaxJsonDepth)) {
    return Error{"JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  }
  auto document = std::make_shared<rapidjson::Document>();
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;
  document->Parse<kFlags>(body.data(), body.size());
  if (document->HasParseError()) {
    return Error{std::string("malformed JSON at offset ") + std::to_string(document->GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(document->GetParseError())};
  }
  if (!document->IsObject()) return Error{"expected a JSON object with a data member"};
  const auto data_it = document->FindMember("data");
  if (data_it == document->MemberEnd() || !data_it->value.IsObject()) return Error{"data: missing or not an object"};
  const rapidjson::Value &data = data_it->value;
  const Fields fields(data);

  TaskVersion version;
  auto id = fields.required_string("id");
  if (!id) return id.error();
  version.id = std::move(*id);

  auto task_id = fields.required_string("taskId");
  if (!task_id) return task_id.error();
  version.task_id = lower(*task_id);
  if (version.task_id != lower(expected_task_id)) {
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
