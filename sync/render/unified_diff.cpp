#include "render/unified_diff.hpp"

#include <optional>
#include <string_view>

#include "base/git_handles.hpp"
#include "base/log.hpp"

namespace tasksync {
namespace {

constexpr std::string_view bold = "\033[1m";
constexpr std::string_view cyan = "\033[36m";
constexpr std::string_view red = "\033[31m";
constexpr std::string_view green = "\033[32m";
constexpr std::string_view reset = "\033[m";

// The same escape sequences, line for line, as `git diff --color=always --ws-error-highlight=none`.
std::string colour_line(std::string_view line, bool in_hunks) {
  const auto wrap = [](std::string_view colour, std::string_view text) {
    return std::string(colour) + std::string(text) + std::string(reset);
  };
  if (!in_hunks) return line.starts_with("Binary files ") ? std::string(line) : wrap(bold, line);
  if (line.starts_with("@@")) {
    const std::size_t end = line.find("@@", 2);
    if (end == std::string_view::npos || end + 2 == line.size()) return wrap(cyan, line);
    // git gives the space and the function name after the range each their own (plain) colour.
    return wrap(cyan, line.substr(0, end + 2)) + wrap("", " ") + wrap("", line.substr(end + 3));
  }
  if (line.starts_with('-')) return wrap(red, line);
  if (line.starts_with('+')) return wrap(green, line);
  return wrap("", line);
}

Result<std::string> file_diff(const FileChange &change, bool colour) {
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  options.old_prefix = "a/";
  options.new_prefix = "b/";
  // A null buffer, not an empty one, is what tells libgit2 that the file is added or deleted.
  const auto data = [](const std::optional<std::string> &content) { return content ? content->data() : nullptr; };
  const auto size = [](const std::optional<std::string> &content) { return content ? content->size() : 0; };
  git_patch *raw = nullptr;
  const int rc = git_patch_from_buffers(&raw, data(change.before), size(change.before), change.path.c_str(),
                                        data(change.after), size(change.after), change.path.c_str(), &options);
  const PatchPtr patch(raw);
  if (rc != 0) return git_error("cannot diff " + change.path, rc);
  git_buf buffer = GIT_BUF_INIT;
  const int printed = git_patch_to_buf(&buffer, patch.get());
  const BufPtr owned(&buffer);
  if (printed != 0) return git_error("cannot print the diff of " + change.path, printed);

  // libgit2 writes "--- /dev/null" and "+++ b/x" even for an empty file added or deleted, where
  // git leaves them out as there is no hunk for them to introduce.
  const bool has_hunks = git_patch_num_hunks(patch.get()) > 0;
  std::string_view text(buffer.ptr ? buffer.ptr : "", buffer.size);
  std::string result;
  bool in_hunks = false;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    in_hunks = in_hunks || line.starts_with("@@");
    if (!has_hunks && (line.starts_with("--- ") || line.starts_with("+++ "))) continue;
    // The bytes are a task's and the API's: shown on a terminal as they are, an escape sequence
    // in them could retitle, clear or repaint it, so all controls but tab are shown escaped.
    const std::string shown = escape_controls(line, TabAndNewline::keep);
    result += colour ? colour_line(shown, in_hunks) : shown;
    result += '\n';
  }
  return result;
}

} // namespace

Result<std::string> unified_diff(const std::vector<FileChange> &changes, bool colour) {
  ensure_libgit2();
  std::string result;
  for (const FileChange &change : changes) {
    TRY_ASSIGN(const std::string diff, file_diff(change, colour));
    result += diff;
  }
  return result;
}

} // namespace tasksync
