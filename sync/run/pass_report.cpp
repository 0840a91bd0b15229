#include "run/pass_report.hpp"

#include <algorithm>

namespace tasksync {

std::size_t PassReport::failures() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return o.failed(); }));
}

std::size_t PassReport::commits() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return !o.commit_id.empty(); }));
}

std::string PassReport::counts() const {
  std::string text = std::to_string(outcomes.size() - failures()) + " tasks ok, " + std::to_string(failures()) +
                     " failed, " + std::to_string(commits()) + " commits";
  if (push_failed()) text += ", push failed";
  if (unpushed.value_or(0) > 0) text += ", " + std::to_string(*unpushed) + " not yet pushed";
  return text;
}

} // namespace tasksync
