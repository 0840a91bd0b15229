#include "api/json_fields.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>

#include "base/url_userinfo.hpp"

namespace tasksync {
namespace {

// RapidJSON's iterative parser keeps deep input off the stack, but everything that walks the
// tree afterwards recurses: refuse absurd nesting before parsing. A string is skipped with
// memchr to its closing quote (one preceded by an even run of backslashes), since list pages are
// mostly long strings of base64.
bool nesting_within(std::string_view body, int max_depth) {
  int depth = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '"') {
      for (;;) {
        const void *quote = std::memchr(body.data() + i + 1, '"', body.size() - i - 1);
        if (!quote) return true; // an unterminated string: the parser says so
        i = static_cast<std::size_t>(static_cast<const char *>(quote) - body.data());
        std::size_t backslashes = 0;
        while (body[i - 1 - backslashes] == '\\')
          ++backslashes;
        if (backslashes % 2 == 0) break;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// The offset of the first byte of `text` that is not part of valid UTF-8, or none. ASCII, what
// API answers almost only hold, is checked eight bytes at a time.
std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (std::uint64_t word = 0; i + sizeof word <= text.size()) {
      std::memcpy(&word, text.data() + i, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += sizeof word;
        continue;
      }
    }
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
      return i;
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += length;
  }
  return std::nullopt;
}

bool is_valid_utf8(std::string_view text) { return !invalid_utf8_at(text); }

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

Result<std::shared_ptr<rapidjson::Document>> parse_api_response(std::string body) {
  // JSON text is UTF-8 (RFC 8259) with no NUL outside an escape: checked over the whole body at
  // once, so that RapidJSON need not validate it byte by byte.
  if (const void *nul = std::memchr(body.data(), '\0', body.size())) {
    return Error{"malformed JSON at offset " + std::to_string(static_cast<const char *>(nul) - body.data()) +
                 ": a NUL byte"};
  }
  if (const auto invalid = invalid_utf8_at(body)) {
    return Error{"malformed JSON at offset " + std::to_string(*invalid) + ": invalid UTF-8"};
  }
  if (!nesting_within(body, kMaxJsonDepth)) {
    return Error{"JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
  }
  // Parsed in place: the document's strings point into the body it keeps (NUL-terminated, as
  // every std::string), so a page of code is not copied string by string. Not with
  // RAPIDJSON_SSE2: RapidJSON 1.1's SSE2 scans take bytes 0x1A-0x1F for ordinary characters
  // (they test "at most 0x19"), so its reader would accept them raw and its writer write them so.
  struct Parsed {
    std::string text;
    rapidjson::Document document;
  };
  auto parsed = std::make_shared<Parsed>();
  parsed->text = std::move(body);
  rapidjson::Document &document = parsed->document;
  document.ParseInsitu<rapidjson::kParseIterativeFlag>(parsed->text.data());
  if (document.HasParseError()) {
    return Error{std::string("malformed JSON at offset ") + std::to_string(document.GetErrorOffset()) + ": " +
                 rapidjson::GetParseError_En(document.GetParseError())};
  }
  if (auto problem = unusable(document)) return Error{"the JSON holds " + *problem};
  if (!document.IsObject()) return Error{"expected a JSON object with a data member"};
  const rapidjson::Value &root = document;
  const auto data = root.FindMember("data");
  if (data == root.MemberEnd() || !data->value.IsObject()) return Error{"data: missing or not an object"};
  return std::shared_ptr<rapidjson::Document>(parsed, &document);
}

std::optional<std::string> json_text(const rapidjson::Value &value) {
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> writer(text);
  if (!value.Accept(writer)) return std::nullopt;
  return std::string(text.GetString(), text.GetSize());
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
