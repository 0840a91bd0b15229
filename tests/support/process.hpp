#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tasksync::test {

// What a finished child process left behind.
struct ProcessResult {
  int exit_code = -1; // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (searched in PATH) with this process's environment, where `env` entries set
// (value) or unset (nullopt) variables, and waits for it.
ProcessResult run_process(const std::vector<std::string> &argv,
                          const std::map<std::string, std::optional<std::string>> &env = {});

// `git -C repo args...`, for checking what libgit2 wrote.
ProcessResult git(const std::string &repo, const std::vector<std::string> &args);

} // namespace tasksync::test
