#include "render.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <string_view>

namespace tasksync {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

std::string_view key_of(const rapidjson::Value::ConstMemberIterator &member) {
  return {member->name.GetString(), member->name.GetStringLength()};
}

// Depth is bounded by parse_task_version's nesting limit, so recursion is safe here.
void write_canonical(Writer &writer, const rapidjson::Value &value) {
  if (value.IsObject()) {
    std::vector<rapidjson::Value::ConstMemberIterator> members;
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) members.push_back(it);
    std::sort(members.begin(), members.end(), [](const auto &a, const auto &b) { return key_of(a) < key_of(b); });
    writer.StartObject();
    for (const auto &member : members) {
      writer.Key(member->name.GetString(), member->name.GetStringLength());
      if (key_of(member) == "password") {
        writer.String("<redacted>");
      } else {
        write_canonical(writer, member->value);
      }
    }
    writer.EndObject();
  } else if (value.IsArray()) {
    writer.StartArray();
    for (const auto &element : value.GetArray()) write_canonical(writer, element);
    writer.EndArray();
  } else {
    value.Accept(writer);
  }
}

void write_string_member(Writer &writer, const char *key, const std::string &value) {
  writer.Key(key);
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

} // namespace

std::string code_file_name(const std::optional<std::string> &language) {
  if (!language || *language == "typescript") return "task.ts";
  if (*language == "javascript") return "task.js";
  if (*language == "workflow") return "task.workflow.json";
  return "task.txt";
}

bool is_known_language(const std::optional<std::string> &language) { return code_file_name(language) != "task.txt"; }

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
