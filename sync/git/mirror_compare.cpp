// Finding what differs from HEAD in the task directories: the index against HEAD (tree ids the
// index gives), and the work tree against the index (stat data, a file's content read only when
// its stat data changed, a directory listed only when it changed), cheap enough for every pass.
#include "git/mirror.hpp"

#include <sys/stat.h>
#include <time.h>

#include <set>

#include "git/mirror_helpers.hpp"
#include "pack/object_id.hpp"

namespace tasksync {

using namespace mirror_detail;

namespace {

// The name of the entry of tasks/ that `path` ("tasks/<name>" or below) is in; empty for a path
// outside tasks/.
std::string_view task_named_by(std::string_view path) {
  constexpr std::string_view kTasks = "tasks/";
  if (!path.starts_with(kTasks)) return {};
  path.remove_prefix(kTasks.size());
  return path.substr(0, path.find('/'));
}

bool same_time(const git_index_time &indexed, const timespec &actual) {
  return indexed.seconds == static_cast<int32_t>(actual.tv_sec) &&
         indexed.nanoseconds == static_cast<uint32_t>(actual.tv_nsec);
}

bool before(const timespec &a, const timespec &b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

// The stat data git keeps of a file (as add_to_index() writes it) still describes `info`.
bool stat_matches(const git_index_entry &entry, const struct stat &info) {
  return same_time(entry.mtime, info.st_mtim) && same_time(entry.ctime, info.st_ctim) &&
         entry.file_size == static_cast<uint32_t>(info.st_size) && entry.ino == static_cast<uint32_t>(info.st_ino);
}

// A file changed in the same clock tick as the index was written may still show the stat data the
// index has (git's "racy git"): its content is compared whatever its stat data says.
bool racy(const git_index_entry &entry, const std::optional<timespec> &index_written) {
  if (!index_written) return true;
  const timespec modified{entry.mtime.seconds, static_cast<long>(entry.mtime.nanoseconds)};
  return !before(modified, *index_written);
}

DirectoryStamp stamp_of(const struct stat &info) { return {info.st_ino, info.st_mtim, info.st_ctim}; }

bool same_stamp(const DirectoryStamp &a, const DirectoryStamp &b) {
  return a.inode == b.inode && !before(a.modified, b.modified) && !before(b.modified, a.modified) &&
         !before(a.changed, b.changed) && !before(b.changed, a.changed);
}

// A stamp taken before `started` (the coarse clock the kernel stamps files with) changes when the
// directory does; one taken within that tick might not.
bool settled(const DirectoryStamp &stamp, const timespec &started) {
  return before(stamp.modified, started) && before(stamp.changed, started);
}

} // namespace

Result<void> Mirror::add_index_differences(const git_tree *head_tree, git_index *index,
                                           std::set<std::string> &paths) const {
  // One task directory at a time, without reading HEAD's copy of it: the directory's tree id,
  // computed from its index entries, either is the id HEAD has for it or not.
  TRY_ASSIGN(auto tasks_result, tasks_tree(head_tree));
  const TasksTree &tasks = *tasks_result;
  std::set<std::string, std::less<>> in_index;
  auto add_head_files = [&](const TasksTree::Entry &entry) -> Result<void> {
    const std::string path = "tasks/" + std::string(entry.name);
    if (entry.mode != GIT_FILEMODE_TREE) {
      paths.insert(path);
      return {};
    }
    git_tree *raw = nullptr;
    if (const int rc = git_tree_lookup(&raw, m_repo.get(), &entry.id); rc < 0) {
      return git_error("cannot read " + path + " in HEAD", rc);
    }
    const TreePtr subtree(raw);
    struct Walk {
      std::string prefix;
      std::set<std::string> *paths;
    } walk{path + "/", &paths};
    git_tree_walk(
        raw, GIT_TREEWALK_PRE,
        [](const char *root, const git_tree_entry *file, void *payload) {
          auto *into = static_cast<Walk *>(payload);
          if (git_tree_entry_type(file) == GIT_OBJECT_BLOB)
            into->paths->insert(into->prefix + root + git_tree_entry_name(file));
          return 0;
        },
        &walk);
    return {};
  };
  const std::size_t count = git_index_entrycount(index);
  for (std::size_t i = 0; i < count;) {
    const std::string_view path = git_index_get_byindex(index, i)->path;
    if (!path.starts_with("tasks/")) {
      ++i;
      continue;
    }
    const std::size_t slash = path.find('/', 6);
    const std::string name(task_named_by(path));
    in_index.insert(name);
    // A directory's entries are next to each other: they share "tasks/<name>/".
    const std::string prefix = "tasks/" + name + (slash == std::string_view::npos ? "" : "/");
    TasksTree have = std::move(TasksTree::parse("").value());
    bool comparable = true;
    std::vector<std::string> files;
    for (; i < count; ++i) {
      const git_index_entry *entry = git_index_get_byindex(index, i);
      const std::string_view file = entry->path;
      if (slash == std::string_view::npos ? file != prefix : !file.starts_with(prefix)) break;
      files.emplace_back(file);
      const std::string_view rest = file.substr(prefix.size());
      if (rest.find('/') != std::string_view::npos || GIT_INDEX_ENTRY_STAGE(entry) != 0)
        comparable = false;
      else if (slash != std::string_view::npos)
        have.set(rest, static_cast<git_filemode_t>(entry->mode), entry->id);
    }
    const auto in_head = tasks.find(name);
    bool same = comparable && in_head.has_value();
    if (same && slash == std::string_view::npos) {
      const git_index_entry *entry = git_index_get_byindex(index, i - 1);
      same = in_head->mode == static_cast<git_filemode_t>(entry->mode) && git_oid_equal(&in_head->id, &entry->id);
    } else if (same) {
      const git_oid id = have.id();
      same = in_head->mode == GIT_FILEMODE_TREE && git_oid_equal(&in_head->id, &id);
    }
    if (same || !is_task_id(name)) continue; // a person's file beside the tasks stays as it is
    paths.insert(files.begin(), files.end());
    if (in_head) {
      if (auto added = add_head_files(*in_head); !added) return added;
    }
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TasksTree::Entry entry = tasks.at(i);
    if (in_index.count(entry.name) > 0 || !is_task_id(entry.name)) continue;
    if (auto added = add_head_files(entry); !added) return added;
  }
  return {};
}

Result<void> Mirror::add_work_tree_differences(git_index *index, std::set<std::string> &paths) {
  WorkTreeScan scan;
  ::clock_gettime(CLOCK_REALTIME_COARSE, &scan.started);
  struct stat index_file {};
  const std::string index_path = std::string(git_repository_path(m_repo.get())) + "index";
  if (::stat(index_path.c_str(), &index_file) == 0) scan.index_written = index_file.st_mtim;
  TRY_ASSIGN(const auto tasks, m_files->find_directory("tasks"));
  scan.tasks = tasks ? &*tasks : nullptr;

  std::set<std::string, std::less<>> indexed; // the task directories the index has
  const std::size_t count = git_index_entrycount(index);
  for (std::size_t i = 0; i < count;) {
    const std::string_view first = git_index_get_byindex(index, i)->path;
    const std::string_view name = task_named_by(first);
    if (!is_task_id(name) || first.size() == 6 + name.size()) { // not in a task directory
      ++i;
      continue;
    }
    const std::string prefix(first.substr(0, 6 + name.size() + 1)); // "tasks/<id>/", shared by its entries
    std::size_t end = i;
    while (end < count && std::string_view(git_index_get_byindex(index, end)->path).starts_with(prefix))
      ++end;
    indexed.emplace(name);
    TRY(add_task_directory_differences(scan, index, {i, end}, std::string(name), paths));
    i = end;
  }
  if (!tasks) return {};

  // Task directories the index lacks (a crash's, before its pass was recorded).
  const auto tasks_status = m_files->status("tasks");
  if (!tasks_status) return {};
  const DirectoryStamp stamp = stamp_of(*tasks_status);
  if (m_tasks_listed && same_stamp(*m_tasks_listed, stamp)) return {};
  TRY_ASSIGN(const auto root, m_files->find_directory(""));
  TRY_ASSIGN(const auto names, WorkTree::names_in(*root, "tasks"));
  bool stray = false;
  for (const std::string &name : names.value_or(std::vector<std::string>{})) {
    if (!is_task_id(name) || indexed.count(name) > 0) continue;
    paths.emplace("tasks/" + name);
    stray = true;
  }
  m_tasks_listed.reset();
  if (!stray && settled(stamp, scan.started)) m_tasks_listed = stamp;
  return {};
}

Result<void> Mirror::add_task_directory_differences(const WorkTreeScan &scan, git_index *index,
                                                    std::pair<std::size_t, std::size_t> entries,
                                                    const std::string &name, std::set<std::string> &paths) {
  const std::string prefix = "tasks/" + name + "/";
  const auto directory = scan.tasks ? WorkTree::status_below(*scan.tasks, name) : std::nullopt;
  if (!directory || !S_ISDIR(directory->st_mode)) {
    // Gone, or a link or file in its place: each file goes back (WorkTree replaces what stands there).
    for (std::size_t i = entries.first; i < entries.second; ++i)
      paths.emplace(git_index_get_byindex(index, i)->path);
    m_listed.erase(name);
    return {};
  }
  std::set<std::string, std::less<>> children;
  for (std::size_t i = entries.first; i < entries.second; ++i) {
    const git_index_entry *entry = git_index_get_byindex(index, i);
    const std::string_view path = entry->path;
    const std::string_view rest = path.substr(prefix.size());
    children.emplace(rest.substr(0, rest.find('/')));
    const auto file = WorkTree::status_below(*scan.tasks, std::string(path.substr(6)));
    const bool executable_in_index = entry->mode == GIT_FILEMODE_BLOB_EXECUTABLE;
    if (!file || !S_ISREG(file->st_mode) || ((file->st_mode & S_IXUSR) != 0) != executable_in_index) {
      paths.emplace(path);
      continue;
    }
    if (stat_matches(*entry, *file) && !racy(*entry, scan.index_written)) continue;
    // Touched but the same (or racy): read again each pass, as git does until its index is
    // refreshed; a pass that changes nothing writes nothing, the index included.
    TRY_ASSIGN(const auto content, m_files->read_regular(std::string(path)));
    const git_oid id = content ? object_id(GIT_OBJECT_BLOB, *content) : git_oid{};
    if (!content || !git_oid_equal(&entry->id, &id)) paths.emplace(path);
  }
  // Files the index lacks (a person's notes, a crash's temporaries): listed only when the
  // directory changed since it was last found holding none.
  const DirectoryStamp stamp = stamp_of(*directory);
  if (const auto known = m_listed.find(name); known != m_listed.end() && same_stamp(known->second, stamp)) return {};
  TRY_ASSIGN(const auto names, WorkTree::names_in(*scan.tasks, name));
  bool stray = !names;
  for (const std::string &child : names.value_or(std::vector<std::string>{})) {
    if (children.count(child) > 0) continue;
    paths.emplace(prefix + child);
    stray = true;
  }
  if (!stray && settled(stamp, scan.started))
    m_listed.insert_or_assign(name, stamp);
  else
    m_listed.erase(name);
  return {};
}

} // namespace tasksync
