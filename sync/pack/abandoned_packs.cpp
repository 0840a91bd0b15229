#include "pack/abandoned_packs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/file_descriptor.hpp"
#include "base/log.hpp"

namespace tasksync {
namespace {

// libgit2's indexer names its temporary "pack" + git_futils_mktmp's "_git2_XXXXXX".
constexpr std::string_view kIndexerPrefix = "pack_git2_";

} // namespace

int remove_abandoned_packs(const std::filesystem::path &pack_dir) {
  int removed = 0;
  std::error_code error;
  for (const auto &entry : std::filesystem::directory_iterator(pack_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kIndexerPrefix) || !entry.is_regular_file(error)) continue;
    FileDescriptor fd(::open(entry.path().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.is_open()) continue;
    // A write lease is granted only while no other descriptor is open on the file, anywhere;
    // held, it makes anyone who opens the file now wait until we are done.
    if (::fcntl(fd.get(), F_SETLEASE, F_WRLCK) != 0) continue;
    if (::unlink(entry.path().c_str()) == 0) {
      log::info("repository: removed " + entry.path().string() + ", left by a transfer whose process died");
      ++removed;
    }
    ::fcntl(fd.get(), F_SETLEASE, F_UNLCK);
  }
  return removed;
}

} // namespace tasksync
