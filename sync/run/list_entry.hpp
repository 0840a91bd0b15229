#pragma once

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

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

// `page` reduced to digests (done where the page was fetched, so a wave of pages in flight
// holds no code).
ListedPage digest_page(TaskPage page);

} // namespace tasksync
