#include "render/render.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "base/text.hpp"
#include "base/url_userinfo.hpp"

namespace tasksync {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// Substrings of a normalised key that mark its value as a credential.
constexpr std::array<std::string_view, 11> kCredentialWords{"password",   "passwd",        "passphrase", "secret",
                                                            "token",      "apikey",        "accesskey",  "privatekey",
                                                            "credential", "authorization", "cookie"};

// Every `language` the vendor documents (the Tools reference's enum), and its code file. The code of
// a `predefined` task is not described anywhere, so it is kept as plain text, without a warning.
struct CodeFile {
  std::string_view language;
  std::string_view file_name;
};
constexpr std::array<CodeFile, 5> kCodeFiles{{{"typescript", "task.ts"},
                                              {"javascript", "task.js"},
                                              {"python", "task.py"},
                                              {"workflow", "task.workflow.json"},
                                              {"predefined", "task.txt"}}};
// Where the code of any other language goes, with a warning.
constexpr std::string_view kFallbackCodeFile = "task.txt";

// The entry for `language` (absent counts as typescript), or null for a language not documented.
const CodeFile *code_file_of(const std::optional<std::string> &language) {
  const auto known = std::ranges::find(kCodeFiles, language.value_or("typescript"), &CodeFile::language);
  return known != kCodeFiles.end() ? &*known : nullptr;
}

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
    for (const auto &element : value.GetArray())
      write_canonical(writer, element);
    writer.EndArray();
  } else if (value.IsString()) {
    write_string(writer, redact_url_userinfo(text_of(value)));
  } else {
    value.Accept(writer);
  }
}

// Every string member of task.json is written here, so none can miss the redaction, whatever the
// field: the API's description or language, or any field added later.
void write_string_member(Writer &writer, const char *key, const std::string &value) {
  writer.Key(key);
  write_string(writer, redact_url_userinfo(value));
}

bool is_alphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

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

std::string code_file_name(const std::optional<std::string> &language) {
  const CodeFile *known = code_file_of(language);
  return std::string(known ? known->file_name : kFallbackCodeFile);
}

bool is_known_language(const std::optional<std::string> &language) { return code_file_of(language) != nullptr; }

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
  if (version.description) write_string_member(writer, "description", *version.description);
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
