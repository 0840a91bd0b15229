#include "git/work_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include "base/atomic_file.hpp"
#include "base/log.hpp"

namespace tasksync {
namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
// Deeper than anything tasksync writes; a bound so a planted tree cannot exhaust descriptors.
constexpr int kMaxRemovalDepth = 32;

using DirectoryPtr = std::unique_ptr<DIR, int (*)(DIR *)>;

std::string join(const std::string &dir, const std::string &name) { return dir.empty() ? name : dir + "/" + name; }

// "tasks/x/task.ts" -> {"tasks/x", "task.ts"}.
std::pair<std::string, std::string> split(const std::string &path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Error os_error(const std::string &what, const std::string &path) {
  return Error{what + " " + path + ": " + std::strerror(errno)};
}

std::optional<struct stat> status_at(int dir, const std::string &name) {
  struct stat info {};
  if (::fstatat(dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  return info;
}

// Removes `name` in `dir`: the entry itself when it is a link or anything but a directory,
// else the directory with everything in it, walked without following a symlink.
Result<void> remove_entry(int dir, const std::string &name, const std::string &shown, int depth = 0) {
  const auto info = status_at(dir, name);
  if (!info) return {};
  if (!S_ISDIR(info->st_mode)) {
    if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) return os_error("cannot remove", shown);
    return {};
  }
  if (depth >= kMaxRemovalDepth) return Error{"cannot remove " + shown + ": nested too deep"};
  const int fd = ::openat(dir, name.c_str(), kDirectoryFlags);
  if (fd < 0) return os_error("cannot open", shown);
  DirectoryPtr listing(::fdopendir(fd), ::closedir);
  if (!listing) {
    ::close(fd);
    return os_error("cannot list", shown);
  }
  while (const dirent *child = ::readdir(listing.get())) {
    const std::string child_name = child->d_name;
    if (child_name == "." || child_name == "..") continue;
    if (auto removed = remove_entry(::dirfd(listing.get()), child_name, shown + "/" + child_name, depth + 1);
        !removed) {
      return removed;
    }
  }
  listing.reset();
  if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) return os_error("cannot remove", shown);
  return {};
}

// A new file in `dir` holding `content`, under a temporary name that is returned.
Result<std::string> write_temporary(int dir, const std::string &name, std::string_view content,
                                    const std::string &shown) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string temp = "." + name + ".tmp-" + std::to_string(random() % 1000000000);
    FileDescriptor fd(::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.is_open()) {
      if (errno == EEXIST) continue;
      return os_error("cannot create a temporary file for", shown);
    }
    auto fail = [&](Error error) -> Result<std::string> {
      ::unlinkat(dir, temp.c_str(), 0);
      return error;
    };
    if (auto written = write_all(fd.get(), content, shown); !written) return fail(written.error());
    if (::fchmod(fd.get(), 0644) != 0) return fail(os_error("cannot chmod", shown));
    if (fd.close() != 0) return fail(os_error("cannot close", shown));
    return temp;
  }
  return Error{"cannot create a temporary file for " + shown + ": every name tried exists"};
}

void warn_replacing(const std::string &path, mode_t mode, const char *with) {
  log::warning("repository: replacing " + path + " (" + kind_of(mode) + ") with " + with +
               ": tasks/ holds only what the API sent, and tasksync never follows or opens such an entry");
}

} // namespace

const char *kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symlink";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISDIR(mode)) return "a directory";
  return "a file";
}

Result<WorkTree> WorkTree::open(const std::filesystem::path &root) {
  FileDescriptor fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.is_open()) return os_error("cannot open the work tree", root.string());
  return WorkTree(root, std::move(fd));
}

Result<std::optional<FileDescriptor>> WorkTree::open_directory(const std::string &dir, bool create,
                                                               bool *replaced) const {
  FileDescriptor current(::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!current.is_open()) return os_error("cannot open the work tree", m_root.string());
  std::string walked;
  for (std::size_t start = 0; start < dir.size();) {
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    const std::string name = dir.substr(start, end - start);
    start = end + 1;
    walked = join(walked, name);
    int fd = ::openat(current.get(), name.c_str(), kDirectoryFlags);
    if (fd < 0) {
      if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) return os_error("cannot open", walked);
      if (!create) return std::optional<FileDescriptor>{};
      if (errno != ENOENT) {
        if (const auto info = status_at(current.get(), name)) warn_replacing(walked, info->st_mode, "a directory");
        if (::unlinkat(current.get(), name.c_str(), 0) != 0 && errno != ENOENT)
          return os_error("cannot remove", walked);
      }
      if (replaced) *replaced = true;
      if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
        return os_error("cannot create", walked);
      fd = ::openat(current.get(), name.c_str(), kDirectoryFlags);
      if (fd < 0) return os_error("cannot open", walked);
    }
    current = FileDescriptor(fd);
  }
  return std::optional<FileDescriptor>(std::move(current));
}

Result<void> WorkTree::update_directory(const std::string &dir, const std::vector<File> &files,
                                        const std::vector<std::string> &removed) {
  bool replaced = false;
  TRY_ASSIGN(auto &&opened, open_directory(dir, !files.empty(), &replaced));
  if (!opened) return remove(dir); // not a directory: whatever stands there goes, never followed
  const int fd = opened->get();

  std::vector<const File *> to_write;
  for (const File &file : files) {
    const auto info = status_at(fd, file.name);
    if (info && S_ISDIR(info->st_mode)) {
      return Error{"cannot write " + join(dir, file.name) + ": a directory is in the way; nothing was changed"};
    }
    if (info && S_ISREG(info->st_mode) && !file.changed && !replaced) continue;
    if (info && !S_ISREG(info->st_mode)) warn_replacing(join(dir, file.name), info->st_mode, "a regular file");
    to_write.push_back(&file);
  }
  std::vector<std::string> temps;
  auto drop_temps = [&](std::size_t from) {
    for (std::size_t i = from; i < temps.size(); ++i)
      ::unlinkat(fd, temps[i].c_str(), 0);
  };
  for (const File *file : to_write) {
    auto temp = write_temporary(fd, file->name, file->content, join(dir, file->name));
    if (!temp) {
      drop_temps(0);
      return temp.error();
    }
    temps.push_back(std::move(*temp));
  }
  for (std::size_t i = 0; i < temps.size(); ++i) {
    if (::renameat(fd, temps[i].c_str(), fd, to_write[i]->name.c_str()) != 0) {
      auto error = os_error("cannot rename into place", join(dir, to_write[i]->name));
      drop_temps(i);
      return error;
    }
  }
  for (const std::string &name : removed) {
    if (auto gone = remove_entry(fd, name, join(dir, name)); !gone) return gone;
  }
  if (files.empty()) {
    const auto [parent, name] = split(dir);
    auto parent_fd = open_directory(parent, false);
    if (parent_fd && *parent_fd && ::unlinkat((*parent_fd)->get(), name.c_str(), AT_REMOVEDIR) != 0 &&
        errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
      return os_error("cannot remove", dir);
    }
  }
  return {};
}

Result<void> WorkTree::write_file(const std::string &path, std::string_view content) {
  const auto [dir, name] = split(path);
  TRY_ASSIGN(auto &&opened, open_directory(dir, true));
  const int fd = opened->get();
  if (const auto info = status_at(fd, name); info && !S_ISREG(info->st_mode)) {
    warn_replacing(path, info->st_mode, "a regular file");
    if (S_ISDIR(info->st_mode)) {
      if (auto removed = remove_entry(fd, name, path); !removed) return removed;
    }
  }
  TRY_ASSIGN(auto temp, write_temporary(fd, name, content, path));
  if (::renameat(fd, temp.c_str(), fd, name.c_str()) != 0) {
    auto error = os_error("cannot rename into place", path);
    ::unlinkat(fd, temp.c_str(), 0);
    return error;
  }
  return {};
}

Result<void> WorkTree::remove(const std::string &path) {
  const auto [dir, name] = split(path);
  TRY_ASSIGN(auto &&opened, open_directory(dir, false));
  if (!opened) return {};
  if (auto removed = remove_entry(opened->get(), name, path); !removed) return removed;
  if (dir.empty()) return {};
  const auto [grandparent, parent_name] = split(dir);
  if (auto above = open_directory(grandparent, false); above && *above) {
    ::unlinkat((*above)->get(), parent_name.c_str(), AT_REMOVEDIR); // only succeeds when now empty
  }
  return {};
}

std::optional<struct stat> WorkTree::status(const std::string &path) const {
  const auto [dir, name] = split(path);
  auto opened = open_directory(dir, false);
  if (!opened || !*opened) return std::nullopt;
  return status_at((*opened)->get(), name);
}

std::optional<struct stat> WorkTree::status_below(const FileDescriptor &at, const std::string &path) {
  return status_at(at.get(), path);
}

Result<std::optional<std::vector<std::string>>> WorkTree::names_in(const FileDescriptor &at, const std::string &name) {
  const int fd = ::openat(at.get(), name.c_str(), kDirectoryFlags);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return std::optional<std::vector<std::string>>{};
    return os_error("cannot open", name);
  }
  DirectoryPtr listing(::fdopendir(fd), ::closedir);
  if (!listing) {
    ::close(fd);
    return os_error("cannot list", name);
  }
  std::vector<std::string> names;
  while (const dirent *child = ::readdir(listing.get())) {
    const std::string_view child_name = child->d_name;
    if (child_name != "." && child_name != "..") names.emplace_back(child_name);
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

Result<std::optional<std::string>> WorkTree::read_regular(const std::string &path) const {
  const auto [dir, name] = split(path);
  TRY_ASSIGN(auto &&opened, open_directory(dir, false));
  if (!opened) return std::optional<std::string>{};
  const auto before = status_at(opened->get(), name);
  if (!before || !S_ISREG(before->st_mode)) return std::optional<std::string>{};
  // O_NONBLOCK: should the entry have become a FIFO since, opening it must not wait for a writer.
  FileDescriptor fd(::openat(opened->get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.is_open()) {
    if (errno == ENOENT || errno == ELOOP || errno == ENXIO) return std::optional<std::string>{};
    return os_error("cannot open", path);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return os_error("cannot stat", path);
  if (!S_ISREG(info.st_mode)) return std::optional<std::string>{};
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return os_error("cannot read", path);
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
  }
  return std::optional<std::string>(std::move(content));
}

} // namespace tasksync
