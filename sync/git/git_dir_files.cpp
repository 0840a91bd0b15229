#include "git/git_dir_files.hpp"

#include <sys/stat.h>

#include <initializer_list>

#include "base/log.hpp"
#include "git/work_tree.hpp"

namespace tasksync {
namespace {

// The line added to info/attributes: it keeps every attribute that converts content (text and
// eol, filter, ident, working-tree-encoding) off the task directories,
// "tasks/????????-????-????-????-????????????/**" ('?' matches one character but '/': the shape of
// a task ID), whose files hold the bytes the API sent, as HEAD does. info/attributes outranks
// every .gitattributes, for git and libgit2 alike.
std::string task_attributes_line() {
  std::string line = "tasks/";
  for (const std::size_t length : std::initializer_list<std::size_t>{8, 4, 4, 4, 12})
    line.append(length, '?').append("-");
  line.back() = '/';
  return line + "** -text -filter -ident -working-tree-encoding";
}

constexpr std::string_view kTaskAttributesComment =
    "# Added by tasksync: the task directories hold the bytes the API sent, as HEAD does; no\n"
    "# .gitattributes converts them (line endings, filters), so git never sees them modified.\n";

constexpr std::string_view kAttributesFile = "info/attributes";

bool holds_line(std::string_view text, std::string_view line) {
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(at, end - at) == line) return true;
    at = end + 1;
  }
  return false;
}

} // namespace

Result<void> ensure_task_attributes(const std::filesystem::path &git_dir) {
  TRY_ASSIGN(WorkTree dir, WorkTree::open(git_dir));
  const std::filesystem::path shown = git_dir / kAttributesFile;
  auto refuse = [&](const std::filesystem::path &path, mode_t mode, const char *wanted) -> Result<void> {
    return Error{path.string() + " is " + kind_of(mode) + ", not " + wanted + ": tasksync adds lines to " +
                 shown.string() + " (so that no .gitattributes makes the task files look modified) and never " +
                 "writes through such an entry; make it " + wanted};
  };
  if (const auto info = dir.status("info"); info && !S_ISDIR(info->st_mode)) {
    return refuse(git_dir / "info", info->st_mode, "a directory");
  }
  if (const auto file = dir.status(std::string(kAttributesFile)); file && !S_ISREG(file->st_mode)) {
    return refuse(shown, file->st_mode, "a regular file");
  }
  TRY_ASSIGN(auto current, dir.read_regular(std::string(kAttributesFile)));
  std::string content = current.value_or("");
  const std::string line = task_attributes_line();
  if (holds_line(content, line)) return {};
  if (!content.empty() && content.back() != '\n') content += '\n';
  content.append(kTaskAttributesComment).append(line).append("\n");
  if (auto written = dir.write_file(std::string(kAttributesFile), content); !written) {
    return Error{"cannot add the task files' attributes to " + shown.string() + ": " + written.error().message};
  }
  log::info("repository: added to " + shown.string() + " \"" + line +
            "\", so that no .gitattributes converts the task files");
  return {};
}

void clear_reflog_paths(git_repository *repo, const std::string &ref) {
  const std::filesystem::path git_dir = git_repository_path(repo);
  auto dir = WorkTree::open(git_dir);
  if (!dir) return; // libgit2 cannot write there either, and says so
  for (const std::string &reflog : {std::string("logs/HEAD"), "logs/" + ref}) {
    std::string walked;
    for (std::size_t start = 0; start < reflog.size();) {
      std::size_t end = reflog.find('/', start);
      if (end == std::string::npos) end = reflog.size();
      walked = reflog.substr(0, end);
      start = end + 1;
      const auto status = dir->status(walked);
      if (!status) break; // absent: libgit2 makes it, as a real directory or file
      const bool last = end == reflog.size();
      if (S_ISDIR(status->st_mode) && !last) continue;
      if (S_ISREG(status->st_mode) || S_ISDIR(status->st_mode)) break; // what git makes, or libgit2's to refuse
      const std::string shown = (git_dir / walked).string();
      log::warning("repository: removing " + shown + " (" + kind_of(status->st_mode) +
                   "): libgit2 appends the reflog of " + ref + " there and would follow it; the reflog starts afresh");
      if (auto removed = dir->remove(walked); !removed) log::warning("repository: " + removed.error().message);
      break;
    }
  }
}

} // namespace tasksync
