#pragma once

#include <filesystem>
#include <string_view>

#include "base/result.hpp"

namespace tasksync {

// A file mapped read-only whole, unmapped when destroyed: for an index read in a few places
// (pages fault in as they are touched, and are not the heap's).
class MappedFile {
public:
  // `path` mapped; an error naming it when it cannot be opened or mapped.
  static Result<MappedFile> open(const std::filesystem::path &path);
  ~MappedFile();
  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  // The file's bytes (empty for an empty file).
  std::string_view bytes() const { return {static_cast<const char *>(m_data), m_size}; }

private:
  MappedFile(void *data, std::size_t size) : m_data(data), m_size(size) {}
  void *m_data = nullptr;
  std::size_t m_size = 0;
};

} // namespace tasksync
