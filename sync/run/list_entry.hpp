#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "api/client.hpp"
#include "api/listing.hpp"

namespace tasksync {

// What the list shows of a task's latest version, reduced to what tells "unchanged": a listing
// of 10,000 tasks holds these, not 50 MB of code.
struct ListedDigest {
  std::string version;
  std::optional<std::string> language;
  git_oid code_id;                         // the blob id of the code
  std::optional<git_oid> configuration_id; // the blob id of canonical_configuration(); none when absent
};

// One task of the list, its latest version reduced to a digest.
using ListEntry = ListedTaskOf<ListedDigest>;

// One page of the list, its tasks reduced to digests.
using ListedPage = TaskPageOf<ListedDigest>;

// Page `page` of the list (`limit` a page), each task reduced to its digest as it is parsed: a
// wave of pages in flight holds one decoded code per page at a time, not a hundred.
Result<ListedPage, FetchError> read_listed_page(ApiClient &client, int page, int limit, std::stop_token stop,
                                                std::optional<std::chrono::steady_clock::time_point> give_up_at);

} // namespace tasksync
