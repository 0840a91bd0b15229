#pragma once

#include <optional>
#include <string>
#include <vector>

#include "task_version.hpp"

namespace tasksync {

// One file of a task's directory: its name and exact bytes.
struct RenderedFile {
  std::string name;
  std::string content;
};

// Everything `tasks/<taskId>/` must hold for one version, sorted by file name.
struct Snapshot {
  std::vector<RenderedFile> files;
};

// The code file's name for a `language`: task.ts, task.js, task.workflow.json, else task.txt.
std::string code_file_name(const std::optional<std::string> &language);

// True when `language` has a file name of its own (absent counts as typescript).
bool is_known_language(const std::optional<std::string> &language);

// task.json: the version's metadata with keys sorted at every depth, 2-space indentation,
// a final newline, and every value under a key named "password" replaced by "<redacted>".
std::string render_sidecar(const TaskVersion &version);

// The task directory for a version: the decoded code and the sidecar. Pure, no I/O.
Snapshot render(const TaskVersion &version);

} // namespace tasksync
