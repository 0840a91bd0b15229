#include "run/version_history.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>

#include "pack/object_id.hpp"

namespace tasksync {
namespace {

// task.json's members that make a version's content (the dates and the number do not).
constexpr const char *kContentMembers[] = {"language", "description", "browserConfiguration"};

// True when the two task.json texts hold the same content members.
bool same_content_members(const std::string &a, const std::string &b) {
  rapidjson::Document left;
  rapidjson::Document right;
  left.Parse(a.data(), a.size());
  right.Parse(b.data(), b.size());
  if (left.HasParseError() || right.HasParseError() || !left.IsObject() || !right.IsObject()) return a == b;
  const rapidjson::Value &l = left; // const iterators on both sides of ==, as clang wants
  const rapidjson::Value &r = right;
  for (const char *name : kContentMembers) {
    const auto in_left = l.FindMember(name);
    const auto in_right = r.FindMember(name);
    if ((in_left == l.MemberEnd()) != (in_right == r.MemberEnd())) return false;
    if (in_left != l.MemberEnd() && in_left->value != in_right->value) return false;
  }
  return true;
}

// The one file of a task directory that is not task.json, or null when there is not exactly one.
const HeadFile *code_file(const HeadTask &task) {
  const HeadFile *code = nullptr;
  for (const HeadFile &file : task.files) {
    if (file.name == "task.json") continue;
    if (code) return nullptr;
    code = &file;
  }
  return code;
}

} // namespace

std::optional<std::uint64_t> version_number(std::string_view version) {
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(version.data(), version.data() + version.size(), number);
  if (version.empty() || error != std::errc() || end != version.data() + version.size()) return std::nullopt;
  return number;
}

Result<VersionGap, FetchError> fetch_gap(ApiClient &client, const std::string &task_id, std::uint64_t after,
                                         std::uint64_t before, std::stop_token stop,
                                         std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  const std::string between = "between versions " + std::to_string(after) + " and " + std::to_string(before);
  auto listed = client.fetch_versions(task_id, stop, give_up_at);
  if (!listed) {
    FetchError error = listed.error();
    error.message = "cannot list the versions " + between + ": " + error.message;
    return error;
  }
  std::vector<std::pair<std::uint64_t, std::string>> wanted;
  for (const VersionInfo &info : *listed) {
    const auto number = version_number(info.version);
    if (number && *number > after && *number < before) wanted.emplace_back(*number, info.version);
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(
      std::unique(wanted.begin(), wanted.end(), [](const auto &a, const auto &b) { return a.first == b.first; }),
      wanted.end());
  VersionGap gap;
  for (const auto &[number, name] : wanted) {
    auto version = client.fetch_version(task_id, name, stop, give_up_at);
    if (!version && version.error().http_status == 404) {
      gap.unavailable.push_back(name);
      continue;
    }
    if (!version) {
      FetchError error = version.error();
      error.message = "cannot fetch version " + name + " (" + between + "): " + error.message;
      return error;
    }
    if (version->deleted) {
      gap.unavailable.push_back(name);
      continue;
    }
    Snapshot snapshot = render(*version);
    gap.versions.push_back({std::move(*version), std::move(snapshot)});
  }
  return gap;
}

HeadTask files_of(const Snapshot &snapshot) {
  HeadTask task;
  for (const RenderedFile &file : snapshot.files)
    task.files.push_back({file.name, object_id(GIT_OBJECT_BLOB, file.content), file.content});
  return task;
}

bool same_content(const HeadTask &a, const HeadTask &b) {
  const HeadFile *a_sidecar = a.find("task.json");
  const HeadFile *b_sidecar = b.find("task.json");
  const HeadFile *a_code = code_file(a);
  const HeadFile *b_code = code_file(b);
  if (!a_sidecar || !b_sidecar || !a_code || !b_code) return false;
  return a_code->content == b_code->content && same_content_members(a_sidecar->content, b_sidecar->content);
}

VersionMove version_move(const HeadTask &head, const TaskVersion &latest, const Snapshot &snapshot) {
  const auto was = version_number(head.version());
  const auto now = version_number(latest.version);
  if (!was || !now) return VersionMove::forward;
  if (*now < *was) return VersionMove::rollback;
  if (*now == *was && !same_content(head, files_of(snapshot))) return VersionMove::rewritten;
  return VersionMove::forward;
}

} // namespace tasksync
