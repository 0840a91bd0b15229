#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace tasksync {

/// What --check-config says of one part of the config: lines for its summary, and what would fail.
struct CheckedPart {
  std::vector<std::string> summary;  // the first line names the part ("push: ...", "hooks: ...")
  std::vector<std::string> problems; // each names the key or file and the reason
  std::vector<std::string> warnings; // what would fail only under the unit
  bool config_error = false;         // its problems stop a run at start as a config error (exit 2)
};

// What a push will need, checked without connecting: for ssh, a key (the file readable by this
// process and of a type that works, or ssh-agent) and a known_hosts file that lists the host;
// for https, the token file readable and valid. Nothing is sent. `outside_unit`: this process is
// not the unit's, so a key or token file the config names that other users cannot read gets a
// warning: the unit's dynamic user could not read it.
CheckedPart check_push(const std::optional<PushSettings> &push, bool outside_unit = false);

// What hooks.on_change needs: its program, a regular file this process may execute (searched in
// PATH when the name has no '/', as the hook runner does).
CheckedPart check_hooks(const HookSettings &hooks);

} // namespace tasksync
