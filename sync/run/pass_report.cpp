#include "run/pass_report.hpp"

#include <algorithm>

namespace tasksync {

std::size_t PassReport::failures() const {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return o.failed(); }));
}

std::size_t PassReport::commits() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return !o.commit_id.empty(); }));
}

} // namespace tasksync
