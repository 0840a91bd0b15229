#include "json_fields.hpp"

#include <rapidjson/error/en.h>

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

} // namespace

Result<std::shared_ptr<rapidjson::Document>> parse_api_response(std::string_view body) {
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
  const auto data = document->FindMember("data");
  if (data == document->MemberEnd() || !data->value.IsObject()) return Error{"data: missing or not an object"};
  return document;
}

Error JsonFields::problem(const char *name, const std::string &what) const {
  return Error{m_prefix + name + ": " + what};
}

Result<std::string> JsonFields::required_string(const char *name) const {
  const auto it = m_object.FindMember(name);
  if (it == m_object.MemberEnd()) return problem(name, "missing required field");
  if (!it->value.IsString()) return problem(name, "expected a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<std::optional<std::string>> JsonFields::optional_string(const char *name) const {
  const auto it = m_object.FindMember(name);
  if (it == m_object.MemberEnd() || it->value.IsNull()) return std::optional<std::string>{};
  if (!it->value.IsString()) return problem(name, "expected a string");
  return std::optional<std::string>(std::string(it->value.GetString(), it->value.GetStringLength()));
}

Result<bool> JsonFields::required_bool(const char *name) const {
  const auto it = m_object.FindMember(name);
  if (it == m_object.MemberEnd()) return problem(name, "missing required field");
  if (!it->value.IsBool()) return problem(name, "expected true or false");
  return it->value.GetBool();
}

Result<long long> JsonFields::required_integer(const char *name) const {
  const auto it = m_object.FindMember(name);
  if (it == m_object.MemberEnd()) return problem(name, "missing required field");
  if (it->value.IsInt64()) return static_cast<long long>(it->value.GetInt64());
  // The listing endpoints send page numbers as decimal strings.
  if (it->value.IsString()) {
    const std::string text(it->value.GetString(), it->value.GetStringLength());
    if (!text.empty() && text.size() < 19 && text.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(text);
    }
  }
  return problem(name, "expected a whole number");
}

Result<Timestamp> JsonFields::required_time(const char *name, std::string &text) const {
  auto value = required_string(name);
  if (!value) return value.error();
  text = *value;
  auto parsed = parse_rfc3339(text);
  if (!parsed) return problem(name, "\"" + text + "\" is not an RFC 3339 date-time");
  return *parsed;
}

} // namespace tasksync
