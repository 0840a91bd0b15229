#include "api/json_fields.hpp"

#include <rapidjson/error/en.h>

#include <cmath>
#include <cstdint>
#include <set>

#include "base/url_userinfo.hpp"

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
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
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

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    if ((byte & 0xE0) == 0xC0)
      length = 2, code = byte & 0x1F;
    else if ((byte & 0xF0) == 0xE0)
      length = 3, code = byte & 0x0F;
    else if ((byte & 0xF8) == 0xF0)
      length = 4, code = byte & 0x07;
    else
      return false;
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

// What RapidJSON 1.1 lets through although the JSON is unusable: a lone low-surrogate escape
// ("\udc00") stored as invalid UTF-8, a number beyond a double's range stored as infinity
// (which its writer then cannot write), and a key that appears twice in an object (whose
// value would depend on the reader). Depth is bounded by the nesting check.
std::optional<std::string> unusable(const rapidjson::Value &value) {
  if (value.IsString()) {
    if (!is_valid_utf8({value.GetString(), value.GetStringLength()})) return "a string that is not valid UTF-8";
  } else if (value.IsDouble()) {
    if (!std::isfinite(value.GetDouble())) return "a number too large to represent";
  } else if (value.IsArray()) {
    for (const auto &element : value.GetArray()) {
      if (auto problem = unusable(element)) return problem;
    }
  } else if (value.IsObject()) {
    std::set<std::string_view> keys;
    for (const auto &member : value.GetObject()) {
      const std::string_view key(member.name.GetString(), member.name.GetStringLength());
      if (!is_valid_utf8(key)) return "a key that is not valid UTF-8";
      if (!keys.insert(key).second) return "the key \"" + std::string(key) + "\" twice in one object";
      if (auto problem = unusable(member.value)) return problem;
    }
  }
  return std::nullopt;
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
  if (auto problem = unusable(*document)) return Error{"the JSON holds " + *problem};
  if (!document->IsObject()) return Error{"expected a JSON object with a data member"};
  const rapidjson::Value &root = *document;
  const auto data = root.FindMember("data");
  if (data == root.MemberEnd() || !data->value.IsObject()) return Error{"data: missing or not an object"};
  return document;
}

std::optional<std::string> string_member(const rapidjson::Value &object, const char *name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd() || !member->value.IsString()) return std::nullopt;
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

Error JsonFields::problem(const char *name, const std::string &what) const {
  return Error{m_prefix + name + ": " + what};
}

Result<std::string> JsonFields::required_string(const char *name) const {
  const auto it = m_object.FindMember(name);
  if (it == m_object.MemberEnd()) return problem(name, "missing required field");
  if (!it->value.IsString()) return problem(name, "expected a string");
  return redact_url_userinfo({it->value.GetString(), it->value.GetStringLength()});
}

Result<std::optional<std::string>> JsonFields::optional_string(const char *name) const {
  const auto it = m_object.FindMember(name);
  if (it == m_object.MemberEnd() || it->value.IsNull()) return std::optional<std::string>{};
  if (!it->value.IsString()) return problem(name, "expected a string");
  return std::optional<std::string>(redact_url_userinfo({it->value.GetString(), it->value.GetStringLength()}));
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
  TRY_ASSIGN(auto value, required_string(name));
  text = value;
  auto parsed = parse_rfc3339(text);
  if (!parsed) return problem(name, "\"" + text + "\" is not an RFC 3339 date-time");
  return *parsed;
}

} // namespace tasksync
