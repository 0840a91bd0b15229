#include "pack/packed_object.hpp"

#include <fcntl.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/file_descriptor.hpp"
#include "base/mapped_file.hpp"
#include "pack/object_id.hpp"
#include "pack/pack_format.hpp"

namespace tasksync {
namespace {

// A zlib inflate stream, ended once.
class Inflater {
public:
  Inflater() { m_ready = inflateInit(&m_stream) == Z_OK; }
  ~Inflater() {
    if (m_ready) inflateEnd(&m_stream);
  }
  Inflater(const Inflater &) = delete;
  Inflater &operator=(const Inflater &) = delete;
  bool ready() const { return m_ready; }
  z_stream &stream() { return m_stream; }

private:
  z_stream m_stream{};
  bool m_ready = false;
};

// One pack file, read with pread: an entry's bytes are read once and nothing stays mapped.
class PackFile {
public:
  explicit PackFile(const std::filesystem::path &path)
      : m_path(path), m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}

  Result<void> opened() const {
    if (m_fd.is_open()) return {};
    return Error{m_path.string() + ": " + std::strerror(errno)};
  }

  // The header of the entry at `offset`; none for a REF_DELTA's.
  Result<std::optional<pack_format::EntryHeader>> header_at(std::uint64_t offset) const {
    std::array<char, 32> bytes{}; // the longest header: 10 bytes of size, 10 of distance
    const ssize_t got = ::pread(m_fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (got <= 0) return Error{m_path.string() + ": no entry at offset " + std::to_string(offset)};
    const std::string_view read(bytes.data(), static_cast<std::size_t>(got));
    if (pack_format::is_ref_delta(read)) return std::optional<pack_format::EntryHeader>();
    auto header = pack_format::read_entry_header(read);
    if (!header) return Error{m_path.string() + " at " + std::to_string(offset) + ": " + header.error().message};
    return std::optional(*header);
  }

  // The `size` bytes the zlib stream at `offset` inflates to.
  Result<std::string> inflate_at(std::uint64_t offset, std::uint64_t size) const {
    const Error corrupt{m_path.string() + ": corrupt zlib stream at offset " + std::to_string(offset)};
    Inflater inflater;
    if (!inflater.ready()) return Error{"out of memory inflating " + m_path.string()};
    z_stream &stream = inflater.stream();
    std::string out(size, '\0');
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(size);
    std::vector<char> chunk(64 << 10);
    for (int status = Z_OK; status != Z_STREAM_END; offset += chunk.size()) {
      const ssize_t got = ::pread(m_fd.get(), chunk.data(), chunk.size(), static_cast<off_t>(offset));
      if (got <= 0) return corrupt;
      stream.next_in = reinterpret_cast<Bytef *>(chunk.data());
      stream.avail_in = static_cast<uInt>(got);
      status = inflate(&stream, Z_NO_FLUSH);
      if (status != Z_OK && status != Z_STREAM_END) return corrupt;
      if (status == Z_OK && stream.avail_out == 0 && stream.avail_in > 0) return corrupt; // more than `size`
    }
    if (stream.total_out != size) return corrupt;
    return out;
  }

private:
  std::filesystem::path m_path;
  FileDescriptor m_fd;
};

// The object at `offset` of `pack`, with its type; none when its chain holds a REF_DELTA.
Result<std::optional<std::pair<git_object_t, std::string>>> read_at(const PackFile &pack, std::uint64_t offset) {
  // Down the chain to the whole object at its bottom, then back up, one delta at a time.
  std::vector<std::pair<std::uint64_t, pack_format::EntryHeader>> deltas;
  TRY_ASSIGN(auto header, pack.header_at(offset));
  while (header && header->type == GIT_OBJECT_OFS_DELTA) {
    if (header->base_distance > offset)
      return Error{"pack entry at " + std::to_string(offset) + ": base before the pack"};
    deltas.emplace_back(offset, *header);
    offset -= header->base_distance;
    TRY_ASSIGN(header, pack.header_at(offset));
  }
  if (!header) return std::optional<std::pair<git_object_t, std::string>>();
  TRY_ASSIGN(std::string object, pack.inflate_at(offset + header->length, header->size));
  for (auto delta = deltas.rbegin(); delta != deltas.rend(); ++delta) {
    TRY_ASSIGN(const std::string instructions,
               pack.inflate_at(delta->first + delta->second.length, delta->second.size));
    auto applied = pack_format::apply_delta(object, instructions);
    if (!applied) return Error{"pack entry at " + std::to_string(delta->first) + ": " + applied.error().message};
    object = std::move(*applied);
  }
  return std::optional(std::make_pair(header->type, std::move(object)));
}

} // namespace

Result<std::optional<std::string>> read_packed_object(const std::filesystem::path &objects, const git_oid &id,
                                                      git_object_t type) {
  std::error_code error;
  for (const auto &file : std::filesystem::directory_iterator(objects / "pack", error)) {
    if (file.path().extension() != ".idx") continue;
    TRY_ASSIGN(const MappedFile index_file, MappedFile::open(file.path()));
    const auto index = pack_format::IndexView::read(index_file.bytes());
    if (!index) return Error{file.path().string() + ": " + index.error().message};
    const auto position = index->find(id);
    if (!position) continue;
    const PackFile pack(std::filesystem::path(file.path()).replace_extension(".pack"));
    TRY(pack.opened());
    TRY_ASSIGN(auto object, read_at(pack, index->offset(*position)));
    if (!object) return std::optional<std::string>();
    const git_oid actual = object_id(object->first, object->second);
    if (object->first != type || !git_oid_equal(&actual, &id)) {
      char hex[GIT_OID_HEXSZ + 1];
      return Error{file.path().string() + ": object " + git_oid_tostr(hex, sizeof hex, &id) +
                   " is not what the pack holds at its offset"};
    }
    return std::optional(std::move(object->second));
  }
  return std::optional<std::string>();
}

} // namespace tasksync
