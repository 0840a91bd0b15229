#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tasksync::test {

// A fresh directory under $TMPDIR, removed with everything in it when this goes out of scope.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  // The directory.
  const std::filesystem::path &path() const { return m_path; }
  // path() / name.
  std::filesystem::path operator/(std::string_view name) const { return m_path / name; }

private:
  std::filesystem::path m_path;
};

// Writes `content` to `file`, creating parent directories.
void write_text(const std::filesystem::path &file, std::string_view content);
// The bytes of `file`; empty when it cannot be read.
std::string read_text(const std::filesystem::path &file);

} // namespace tasksync::test
