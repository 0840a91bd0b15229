#pragma once

#include <git2.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

// The git pack and pack index (version 2) formats, each piece written and read here and nowhere
// else (git's Documentation/gitformat-pack.txt): the pack header, entry headers, OFS_DELTA base
// distances, delta instructions and the index. Pure: no I/O.
namespace tasksync::pack_format {

// A SHA-1 as the formats store it: a pack's trailer, an index's trailer.
using Checksum = std::array<unsigned char, GIT_OID_RAWSZ>;

// Bytes of a pack's header: "PACK", the version, the object count.
inline constexpr std::size_t kPackHeaderSize = 12;

// The header of a version 2 pack of `objects` objects.
std::array<char, kPackHeaderSize> pack_header(std::uint32_t objects);

// The object count of a pack whose first bytes are `bytes`; an error unless they are a pack
// header of version 2 or 3 (the versions git reads).
Result<std::uint32_t> read_pack_header(std::string_view bytes);

/// What an entry header says.
struct EntryHeader {
  git_object_t type = GIT_OBJECT_INVALID; // commit, tree, blob, tag or GIT_OBJECT_OFS_DELTA
  std::uint64_t size = 0;                 // inflated: of the object, or of the delta
  std::uint64_t base_distance = 0;        // OFS_DELTA: this entry's offset minus its base's
  std::size_t length = 0;                 // bytes of the header (the zlib stream follows)
};

/// An encoded entry header, held without allocating.
class EncodedEntryHeader {
public:
  // The bytes, as they go before the entry's zlib stream.
  std::string_view bytes() const { return {m_bytes.data(), m_length}; }

private:
  friend EncodedEntryHeader entry_header(git_object_t, std::uint64_t);
  friend EncodedEntryHeader ofs_delta_header(std::uint64_t, std::uint64_t);
  std::array<char, 20> m_bytes{}; // 10 for a 64-bit size, 10 for a 64-bit distance
  std::size_t m_length = 0;
};

// The header of an entry holding a whole object of `type` (commit, tree, blob, tag), `size`
// bytes inflated.
EncodedEntryHeader entry_header(git_object_t type, std::uint64_t size);

// The header of an OFS_DELTA entry: a delta of `size` bytes inflated whose base entry starts
// `base_distance` (more than 0) bytes before this one.
EncodedEntryHeader ofs_delta_header(std::uint64_t size, std::uint64_t base_distance);

// The entry header at the start of `bytes`; an error saying what is wrong when it is cut
// short, of a type this reader does not take (REF_DELTA, 0, 5) or its numbers overflow.
Result<EntryHeader> read_entry_header(std::string_view bytes);

// True when `bytes` start with a REF_DELTA entry's header (a delta naming its base by id, which
// git writes for thin packs and read_entry_header() refuses).
bool is_ref_delta(std::string_view bytes);

// The CRC-32 an index keeps of an entry: of its header and its zlib stream, as stored.
std::uint32_t entry_crc32(std::string_view header, std::string_view stored);

// Appends a delta's start: the sizes of its base and of the object it makes.
void append_delta_sizes(std::string &out, std::uint64_t base_size, std::uint64_t size);

// Appends the instructions copying base[offset, offset + size) (none when `size` is 0).
void append_delta_copy(std::string &out, std::uint64_t offset, std::uint64_t size);

// Appends the instructions inserting `bytes` (none when empty).
void append_delta_insert(std::string &out, std::string_view bytes);

// The object `delta` makes of `base`; an error when the delta is malformed or not for this base.
Result<std::string> apply_delta(std::string_view base, std::string_view delta);

/// What an index keeps of one object of its pack.
struct IndexEntry {
  git_oid id{};
  std::uint64_t offset = 0; // of the object's entry in the pack
  std::uint32_t crc = 0;    // entry_crc32 of that entry
};

// The index (version 2) of a pack with `entries` whose trailer is `pack_checksum`; sorts
// `entries` by id, as the index lists them.
std::string index(std::span<IndexEntry> entries, const Checksum &pack_checksum);

/// An index (version 2) read in place: it points into the bytes it was read from.
class IndexView {
public:
  // `data` as an index, checked whole (header, fan-out, every table within the bytes); an
  // error saying what is wrong otherwise. `data` must outlive the view.
  static Result<IndexView> read(std::string_view data);

  // Objects in the pack.
  std::uint32_t objects() const { return m_objects; }
  // The id of the `i`th object, by id.
  git_oid id(std::uint32_t i) const;
  // The CRC-32 of the `i`th object's entry.
  std::uint32_t crc(std::uint32_t i) const;
  // The offset of the `i`th object's entry in the pack.
  std::uint64_t offset(std::uint32_t i) const;
  // The position of `id` in the index, or none when the pack lacks it.
  std::optional<std::uint32_t> find(const git_oid &id) const;
  // The pack's trailer, as the index records it.
  Checksum pack_checksum() const;

private:
  IndexView(std::string_view data, std::uint32_t objects) : m_data(data), m_objects(objects) {}
  std::string_view m_data;
  std::uint32_t m_objects = 0;
};

} // namespace tasksync::pack_format
