#include "base/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/file_descriptor.hpp"

namespace tasksync {
namespace {

Error os_error(const std::string &what, const std::filesystem::path &path) {
  return Error{what + " " + path.string() + ": " + std::strerror(errno)};
}

} // namespace

Result<void> write_all(int fd, std::string_view content, const std::filesystem::path &path) {
  while (!content.empty()) {
    const ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot write", path);
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

Result<void> sync_directory(const std::filesystem::path &dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return os_error("cannot fsync directory", dir);
  return {};
}

Result<void> write_file_atomically(const std::filesystem::path &file, std::string_view content, Durability durability) {
  const std::filesystem::path dir = file.parent_path();
  std::string temp = (dir / ("." + file.filename().string() + ".tmp-XXXXXX")).string();
  FileDescriptor fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot create a temporary file in", dir);
  auto fail = [&](Error error) -> Result<void> {
    ::unlink(temp.c_str());
    return error;
  };
  if (auto written = write_all(fd.get(), content, temp); !written) return fail(written.error());
  if (::fchmod(fd.get(), 0644) != 0) return fail(os_error("cannot chmod", temp));
  if (durability == Durability::on_disk && ::fsync(fd.get()) != 0) return fail(os_error("cannot fsync", temp));
  if (fd.close() != 0) return fail(os_error("cannot close", temp));
  if (::rename(temp.c_str(), file.c_str()) != 0) return fail(os_error("cannot rename into place", file));
  return durability == Durability::on_disk ? sync_directory(dir) : Result<void>{};
}

Result<void> remove_file(const std::filesystem::path &file, Durability durability) {
  if (::unlink(file.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return os_error("cannot remove", file);
  }
  return durability == Durability::on_disk ? sync_directory(file.parent_path()) : Result<void>{};
}

} // namespace tasksync
