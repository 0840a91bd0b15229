#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/timestamp.hpp"

namespace tasksync {

// Deepest JSON nesting accepted in a response.
inline constexpr int kMaxJsonDepth = 64;

// Parses an API response body: valid UTF-8, at most kMaxJsonDepth deep, an object with an
// object under "data". Returns the document, parsed in place in `body`, which it keeps; its
// "data" member is what callers read.
Result<std::shared_ptr<rapidjson::Document>> parse_api_response(std::string body);

// A string member of `object` as it stands (nothing redacted or checked), if it is one: for
// what tasksyncd reads loosely (a webhook's envelope, HEAD's task.json).
std::optional<std::string> string_member(const rapidjson::Value &object, const char *name);

// `value` as compact JSON text; none when RapidJSON's writer refuses it (a number that is not
// finite).
std::optional<std::string> json_text(const rapidjson::Value &value);

// Reads typed members of one JSON object; errors name the member with `prefix`
// ("data.code: expected a string"). Every string field the parsers keep (TaskVersion's, a list
// entry's, a task's name) is read here, and comes back with its URL userinfo redacted (redact_url_userinfo): a task's
// name, language or description, or a value quoted in an error, carries no URL's secret into a commit, a log line or
// /healthz.
class JsonFields {
public:
  JsonFields(const rapidjson::Value &object, std::string prefix) : m_object(object), m_prefix(std::move(prefix)) {}

  // A string member that must be present (URL userinfo redacted, as every string here).
  Result<std::string> required_string(const char *name) const;
  // A string member that may be absent or null.
  Result<std::optional<std::string>> optional_string(const char *name) const;
  // A boolean member that must be present.
  Result<bool> required_bool(const char *name) const;
  // A whole-number member that must be present.
  Result<long long> required_integer(const char *name) const;
  // An RFC 3339 date-time member that must be present; `text` receives it verbatim.
  Result<Timestamp> required_time(const char *name, std::string &text) const;

private:
  Error problem(const char *name, const std::string &what) const;

  const rapidjson::Value &m_object;
  std::string m_prefix;
};

} // namespace tasksync
