#include "render/render.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "base/text.hpp"

namespace tasksync {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

constexpr std::string_view kRedacted = "<redacted>";

// Substrings of a normalised key that mark its value as a credential.
constexpr std::array<std::string_view, 11> kCredentialWords{
    "password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey", "credential",
    "authorization", "cookie"};

std::string_view text_of(const rapidjson::Value &value) { return {value.GetString(), value.GetStringLength()}; }

// An object member as written: its key with URL userinfo redacted, and its value.
struct Member {
  std::string key;
  std::string_view original_key;
  const rapidjson::Value *value;
};

void write_string(Writer &writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// Depth is bounded by parse_task_version's nesting limit, so recursion is safe here.
void write_canonical(Writer &writer, const rapidjson::Value &value) {
  if (value.IsObject()) {
    std::vector<Member> members;
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      members.push_back({redact_url_userinfo(text_of(it->name)), text_of(it->name), &it->value});
    }
    // Sorted as written; two keys that differ only in a redacted password keep a fixed order too.
    std::sort(members.begin(), members.end(), [](const Member &a, const Member &b) {
      return a.key != b.key ? a.key < b.key : a.original_key < b.original_key;
    });
    writer.StartObject();
    for (const Member &member : members) {
      writer.Key(member.key.data(), static_cast<rapidjson::SizeType>(member.key.size()));
      if (is_credential_key(member.original_key)) {
        write_string(writer, kRedacted);
      } else {
        write_canonical(writer, *member.value);
      }
    }
    writer.EndObject();
  } else if (value.IsArray()) {
    writer.StartArray();
    for (const auto &element : value.GetArray()) write_canonical(writer, element);
    writer.EndArray();
  } else if (value.IsString()) {
    write_string(writer, redact_url_userinfo(text_of(value)));
  } else {
    value.Accept(writer);
  }
}

void write_string_member(Writer &writer, const char *key, const std::string &value) {
  writer.Key(key);
  write_string(writer, value);
}

bool is_alphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Where a URL's authority ends: RFC 3986's delimiters, plus a backslash (browsers read it as '/'
// in http URLs) and whitespace or controls, which end a URL written inside longer text.
bool ends_authority(char c) {
  return c == '/' || c == '?' || c == '#' || c == '\\' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
}

} // namespace

bool is_credential_key(std::string_view key) {
  std::string normalised;
  for (const char c : key) {
    if (is_alphanumeric(c)) normalised += c;
  }
  normalised = ascii_lower(normalised);
  return std::ranges::any_of(kCredentialWords,
                             [&](std::string_view word) { return normalised.find(word) != std::string::npos; });
}

std::string redact_url_userinfo(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  // Any scheme, even none: what follows "://" up to '@' is a userinfo whatever precedes it.
  for (std::size_t marker = text.find("://"); marker != std::string_view::npos; marker = text.find("://", marker + 3)) {
    const std::size_t start = marker + 3;
    std::size_t end = start;
    while (end < text.size() && !ends_authority(text[end])) ++end;
    const std::string_view authority = text.substr(start, end - start);
    // The last '@': a password with an unencoded '@' in it still ends up wholly redacted.
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos || at == 0) continue;
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    out.append(text.substr(copied, start - copied));
    if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
    out.append(kRedacted);
    copied = start + at;
  }
  out.append(text.substr(copied));
  return out;
}

std::string code_file_name(const std::optional<std::string> &language) {
  if (!language || *language == "typescript") return "task.ts";
  if (*language == "javascript") return "task.js";
  if (*language == "workflow") return "task.workflow.json";
  return "task.txt";
}

bool is_known_language(const std::optional<std::string> &language) { return code_file_name(language) != "task.txt"; }

std::string canonical_configuration(const rapidjson::Value &configuration) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  write_canonical(writer, configuration);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string render_sidecar(const TaskVersion &version) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.SetIndent(' ', 2);
  // Members in sorted order, written directly.
  writer.StartObject();
  if (version.browser_configuration) {
    writer.Key("browserConfiguration");
    write_canonical(writer, *version.browser_configuration);
  }
  write_string_member(writer, "createdAt", version.created_at);
  if (version.description) write_string_member(writer, "description", redact_url_userinfo(*version.description));
  if (version.language) write_string_member(writer, "language", *version.language);
  write_string_member(writer, "taskId", version.task_id);
  write_string_member(writer, "updatedAt", version.updated_at);
  write_string_member(writer, "version", version.version);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

Snapshot render(const TaskVersion &version) {
  Snapshot snapshot;
  snapshot.files.push_back({code_file_name(version.language), version.code});
  snapshot.files.push_back({"task.json", render_sidecar(version)});
  std::sort(snapshot.files.begin(), snapshot.files.end(),
            [](const RenderedFile &a, const RenderedFile &b) { return a.name < b.name; });
  return snapshot;
}

} // namespace tasksync
