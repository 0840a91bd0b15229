#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "api/client.hpp"
#include "git/head_reader.hpp"
#include "render/render.hpp"

namespace tasksync {

// A version's number ("7", also "007"), or none ("latest", "draft", anything else).
std::optional<std::uint64_t> version_number(std::string_view version);

// A version fetched to fill a gap, rendered.
struct GapVersion {
  TaskVersion version;
  Snapshot snapshot;
};

// The published versions between the one HEAD holds and the latest, as the API keeps them.
struct VersionGap {
  std::vector<GapVersion> versions;     // ascending, each to be committed before the latest
  std::vector<std::string> unavailable; // listed, but answering 404 or "deleted": true; ascending
};

// Reads GET /v1/task/{id}/versions, then fetches each listed version k with `after` < k <
// `before` from GET /v1/task/{id}/{k}, ascending. A number the list lacks is a legal skip; a
// listed one that answers 404 or is deleted is unavailable. Any other failure, an answer for
// another version included, fails the whole gap, so that nothing is committed around a hole.
Result<VersionGap, FetchError> fetch_gap(ApiClient &client, const std::string &task_id, std::uint64_t after,
                                         std::uint64_t before, std::stop_token stop,
                                         std::optional<std::chrono::steady_clock::time_point> give_up_at);

// How the latest version stands to the one HEAD holds, for the commit that records it.
enum class VersionMove {
  forward,   // a higher number (or not numbers at all): an ordinary update
  rollback,  // a lower number than HEAD's
  rewritten, // HEAD's number, with other code, language, description or browserConfiguration
};

// `snapshot`'s files as HEAD would hold them.
HeadTask files_of(const Snapshot &snapshot);

// True when two task directories hold the same content: the same code (whatever its file is
// called: a release that names a language's file anew only renames it) and the same language,
// description and browserConfiguration in task.json; version numbers and dates do not count.
bool same_content(const HeadTask &a, const HeadTask &b);

// How `latest` (rendered as `snapshot`) moved from `head`; only numbers are compared.
VersionMove version_move(const HeadTask &head, const TaskVersion &latest, const Snapshot &snapshot);

} // namespace tasksync
