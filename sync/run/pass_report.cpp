#include "run/pass_report.hpp"

#include <algorithm>

namespace tasksync {

const char *to_string(DraftChange::Kind kind) {
  switch (kind) {
  case DraftChange::Kind::added: return "draft-added";
  case DraftChange::Kind::updated: return "draft-updated";
  case DraftChange::Kind::removed: return "draft-removed";
  }
  return "draft-added";
}

std::size_t PassReport::failures() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return o.failed(); }));
}

std::size_t PassReport::commits() const {
  std::size_t made = 0;
  for (const TaskOutcome &outcome : outcomes) {
    made += (outcome.commit_id.empty() ? 0 : 1) +
            static_cast<std::size_t>(std::count_if(outcome.filled.begin(), outcome.filled.end(),
                                                   [](const auto &filled) { return !filled.commit_id.empty(); }));
  }
  return made;
}

std::string PassReport::counts() const {
  std::string text = std::to_string(outcomes.size() - failures()) + " tasks ok, " + std::to_string(failures()) +
                     " failed, " + std::to_string(commits()) + " commits";
  if (push_failed()) text += ", push failed";
  if (unpushed.value_or(0) > 0) text += ", " + std::to_string(*unpushed) + " not yet pushed";
  return text;
}

} // namespace tasksync
