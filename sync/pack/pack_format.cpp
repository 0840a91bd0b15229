#include "pack/pack_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "pack/object_id.hpp"

namespace tasksync::pack_format {
namespace {

constexpr std::string_view kPackSignature = "PACK";
constexpr std::string_view kIndexSignature{"\377tOc", 4};
constexpr std::uint32_t kIndexVersion = 2;
constexpr std::size_t kFanoutAt = 8;                 // after the signature and version
constexpr std::size_t kIdsAt = kFanoutAt + 256 * 4;  // after the fan-out table
constexpr std::uint32_t kLargeOffset = 0x80000000u;  // a 32-bit offset naming a 64-bit one
constexpr std::size_t kTrailers = 2 * GIT_OID_RAWSZ; // the pack's checksum, the index's own
constexpr std::uint64_t kMaxCopy = 0xffff;           // what one copy instruction is written for
constexpr std::size_t kMaxInsert = 0x7f;             // what one insert instruction holds

std::uint32_t read_be32(const char *at) {
  const auto *bytes = reinterpret_cast<const unsigned char *>(at);
  return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 | std::uint32_t{bytes[2]} << 8 | bytes[3];
}

void write_be32(char *at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i)
    at[i] = static_cast<char>((value >> (24 - 8 * i)) & 0xff);
}

void put_be32(std::string &out, std::uint32_t value) {
  char bytes[4];
  write_be32(bytes, value);
  out.append(bytes, sizeof bytes);
}

// A delta's sizes: little-endian base 128. Advances `at`; false when cut short or too big.
bool read_varint(std::string_view bytes, std::size_t &at, std::uint64_t &value) {
  value = 0;
  for (unsigned shift = 0; at < bytes.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(bytes[at++]);
    const std::uint64_t bits = byte & 0x7f;
    if (shift >= 64 || (shift > 57 && (bits >> (64 - shift)) != 0)) return false;
    value |= bits << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// An entry's type and size: the type in bits 4-6 of the first byte, the size in its low 4 bits
// and then 7 bits a byte, little-endian, while the top bit is set.
std::size_t put_type_and_size(char *out, int type, std::uint64_t size) {
  std::size_t length = 0;
  auto byte = static_cast<unsigned char>((type << 4) | static_cast<int>(size & 0x0f));
  size >>= 4;
  while (size) {
    out[length++] = static_cast<char>(byte | 0x80);
    byte = static_cast<unsigned char>(size & 0x7f);
    size >>= 7;
  }
  out[length++] = static_cast<char>(byte);
  return length;
}

} // namespace

std::array<char, kPackHeaderSize> pack_header(std::uint32_t objects) {
  std::array<char, kPackHeaderSize> header{};
  std::memcpy(header.data(), kPackSignature.data(), kPackSignature.size());
  write_be32(header.data() + 4, 2);
  write_be32(header.data() + 8, objects);
  return header;
}

Result<std::uint32_t> read_pack_header(std::string_view bytes) {
  if (bytes.size() < kPackHeaderSize) return Error{"not a pack: shorter than its header"};
  if (!bytes.starts_with(kPackSignature)) return Error{"not a pack: no PACK signature"};
  const std::uint32_t version = read_be32(bytes.data() + 4);
  if (version != 2 && version != 3) return Error{"unsupported pack version " + std::to_string(version)};
  return read_be32(bytes.data() + 8);
}

EncodedEntryHeader entry_header(git_object_t type, std::uint64_t size) {
  EncodedEntryHeader header;
  header.m_length = put_type_and_size(header.m_bytes.data(), static_cast<int>(type), size);
  return header;
}

// The base distance is big-endian base 128 in which each continued byte also adds one, so
// that no distance has two encodings.
EncodedEntryHeader ofs_delta_header(std::uint64_t size, std::uint64_t base_distance) {
  EncodedEntryHeader header;
  header.m_length = put_type_and_size(header.m_bytes.data(), GIT_OBJECT_OFS_DELTA, size);
  std::array<char, 10> distance{};
  std::size_t at = distance.size() - 1;
  distance[at] = static_cast<char>(base_distance & 0x7f);
  while (base_distance >>= 7)
    distance[--at] = static_cast<char>(0x80 | (--base_distance & 0x7f));
  std::memcpy(header.m_bytes.data() + header.m_length, distance.data() + at, distance.size() - at);
  header.m_length += distance.size() - at;
  return header;
}

Result<EntryHeader> read_entry_header(std::string_view bytes) {
  EntryHeader header;
  std::size_t at = 0;
  if (bytes.empty()) return Error{"pack entry header truncated"};
  auto byte = static_cast<unsigned char>(bytes[at++]);
  const int type = (byte >> 4) & 0x07;
  header.size = byte & 0x0f;
  for (unsigned shift = 4; byte & 0x80; shift += 7) {
    if (at == bytes.size()) return Error{"pack entry header truncated"};
    byte = static_cast<unsigned char>(bytes[at++]);
    const std::uint64_t bits = byte & 0x7f;
    if (shift >= 64 || (shift > 57 && (bits >> (64 - shift)) != 0)) {
      return Error{"pack entry header: size too large"};
    }
    header.size |= bits << shift;
  }
  switch (type) {
  case GIT_OBJECT_COMMIT:
  case GIT_OBJECT_TREE:
  case GIT_OBJECT_BLOB:
  case GIT_OBJECT_TAG: header.type = static_cast<git_object_t>(type); break;
  case GIT_OBJECT_OFS_DELTA: {
    header.type = GIT_OBJECT_OFS_DELTA;
    if (at == bytes.size()) return Error{"pack entry header truncated"};
    byte = static_cast<unsigned char>(bytes[at++]);
    std::uint64_t distance = byte & 0x7f;
    while (byte & 0x80) {
      if (at == bytes.size()) return Error{"pack entry header truncated"};
      if (distance >= (UINT64_MAX >> 7)) return Error{"pack entry header: base distance too large"};
      byte = static_cast<unsigned char>(bytes[at++]);
      distance = ((distance + 1) << 7) | (byte & 0x7f);
    }
    if (distance == 0) return Error{"pack entry header: a delta based on itself"};
    header.base_distance = distance;
    break;
  }
  case GIT_OBJECT_REF_DELTA: return Error{"pack entry header: REF_DELTA entries are not read here"};
  default: return Error{"pack entry header: unknown type " + std::to_string(type)};
  }
  header.length = at;
  return header;
}

bool is_ref_delta(std::string_view bytes) {
  return !bytes.empty() && ((static_cast<unsigned char>(bytes[0]) >> 4) & 0x07) == GIT_OBJECT_REF_DELTA;
}

std::uint32_t entry_crc32(std::string_view header, std::string_view stored) {
  uLong crc = crc32(0, reinterpret_cast<const Bytef *>(header.data()), static_cast<uInt>(header.size()));
  crc = crc32(crc, reinterpret_cast<const Bytef *>(stored.data()), static_cast<uInt>(stored.size()));
  return static_cast<std::uint32_t>(crc);
}

void append_delta_sizes(std::string &out, std::uint64_t base_size, std::uint64_t size) {
  for (std::uint64_t value : {base_size, size}) {
    do {
      const auto byte = static_cast<unsigned char>(value & 0x7f);
      value >>= 7;
      out.push_back(static_cast<char>(byte | (value ? 0x80 : 0)));
    } while (value);
  }
}

// A copy instruction: a command byte whose low 4 bits say which offset bytes follow and bits
// 4-5 which size bytes (bit 6, a third size byte, is never needed at 0xffff a copy).
void append_delta_copy(std::string &out, std::uint64_t offset, std::uint64_t size) {
  while (size > 0) {
    const std::uint64_t chunk = std::min(size, kMaxCopy);
    char instruction[7];
    std::size_t length = 1;
    unsigned char command = 0x80;
    for (int i = 0; i < 4; ++i) {
      if (const auto byte = static_cast<unsigned char>((offset >> (8 * i)) & 0xff)) {
        command |= static_cast<unsigned char>(1 << i);
        instruction[length++] = static_cast<char>(byte);
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (const auto byte = static_cast<unsigned char>((chunk >> (8 * i)) & 0xff)) {
        command |= static_cast<unsigned char>(0x10 << i);
        instruction[length++] = static_cast<char>(byte);
      }
    }
    instruction[0] = static_cast<char>(command);
    out.append(instruction, length);
    offset += chunk;
    size -= chunk;
  }
}

void append_delta_insert(std::string &out, std::string_view bytes) {
  for (std::size_t at = 0; at < bytes.size(); at += kMaxInsert) {
    const std::size_t chunk = std::min(kMaxInsert, bytes.size() - at);
    out.push_back(static_cast<char>(chunk));
    out.append(bytes.substr(at, chunk));
  }
}

Result<std::string> apply_delta(std::string_view base, std::string_view delta) {
  std::size_t at = 0;
  std::uint64_t base_size = 0;
  std::uint64_t size = 0;
  if (!read_varint(delta, at, base_size) || !read_varint(delta, at, size)) return Error{"delta: bad sizes"};
  if (base_size != base.size()) return Error{"delta: made for a base of another size"};
  if (size / 0x10000 > delta.size()) return Error{"delta: bad sizes"}; // no instruction makes more than 64 KiB
  std::string out;
  out.reserve(size);
  while (at < delta.size()) {
    const auto command = static_cast<unsigned char>(delta[at++]);
    if (command & 0x80) {
      std::uint64_t offset = 0;
      std::uint64_t length = 0;
      for (int i = 0; i < 7; ++i) {
        if (!(command & (1 << i))) continue;
        if (at == delta.size()) return Error{"delta: copy instruction truncated"};
        const auto byte = static_cast<unsigned char>(delta[at++]);
        if (i < 4)
          offset |= std::uint64_t{byte} << (8 * i);
        else
          length |= std::uint64_t{byte} << (8 * (i - 4));
      }
      if (length == 0) length = 0x10000;
      if (offset > base.size() || length > base.size() - offset || length > size - out.size()) {
        return Error{"delta: copy out of bounds"};
      }
      out.append(base.substr(offset, length));
    } else if (command != 0) {
      if (command > delta.size() - at || command > size - out.size()) return Error{"delta: insert out of bounds"};
      out.append(delta.substr(at, command));
      at += command;
    } else {
      return Error{"delta: reserved instruction 0"};
    }
  }
  if (out.size() != size)
    return Error{"delta: made " + std::to_string(out.size()) + " bytes of " + std::to_string(size)};
  return out;
}

std::string index(std::span<IndexEntry> entries, const Checksum &pack_checksum) {
  std::sort(entries.begin(), entries.end(),
            [](const IndexEntry &a, const IndexEntry &b) { return git_oid_cmp(&a.id, &b.id) < 0; });
  std::size_t large = 0;
  for (const IndexEntry &entry : entries)
    large += entry.offset >= kLargeOffset;
  std::string out;
  out.reserve(kIdsAt + entries.size() * (GIT_OID_RAWSZ + 8) + large * 8 + kTrailers);
  out += kIndexSignature;
  put_be32(out, kIndexVersion);
  std::array<std::uint32_t, 256> fanout{};
  for (const IndexEntry &entry : entries)
    ++fanout[entry.id.id[0]];
  for (std::size_t i = 1; i < fanout.size(); ++i)
    fanout[i] += fanout[i - 1];
  for (const std::uint32_t count : fanout)
    put_be32(out, count);
  for (const IndexEntry &entry : entries)
    out.append(reinterpret_cast<const char *>(entry.id.id), GIT_OID_RAWSZ);
  for (const IndexEntry &entry : entries)
    put_be32(out, entry.crc);
  std::uint32_t next_large = 0;
  for (const IndexEntry &entry : entries)
    put_be32(out, entry.offset < kLargeOffset ? static_cast<std::uint32_t>(entry.offset) : kLargeOffset | next_large++);
  for (const IndexEntry &entry : entries) {
    if (entry.offset >= kLargeOffset) {
      put_be32(out, static_cast<std::uint32_t>(entry.offset >> 32));
      put_be32(out, static_cast<std::uint32_t>(entry.offset));
    }
  }
  out.append(reinterpret_cast<const char *>(pack_checksum.data()), pack_checksum.size());
  Sha1 sha;
  sha.update(out);
  const auto own = sha.finish();
  out.append(reinterpret_cast<const char *>(own.data()), own.size());
  return out;
}

Result<IndexView> IndexView::read(std::string_view data) {
  if (data.size() < kIdsAt || !data.starts_with(kIndexSignature) || read_be32(data.data() + 4) != kIndexVersion) {
    return Error{"not a version 2 pack index"};
  }
  for (std::size_t i = 1; i < 256; ++i) {
    if (read_be32(data.data() + kFanoutAt + i * 4) < read_be32(data.data() + kFanoutAt + (i - 1) * 4)) {
      return Error{"corrupt fan-out table"};
    }
  }
  const std::uint32_t objects = read_be32(data.data() + kFanoutAt + 255 * 4);
  const std::size_t large = kIdsAt + std::size_t{objects} * (GIT_OID_RAWSZ + 8);
  if (data.size() < large + kTrailers || (data.size() - large - kTrailers) % 8 != 0) return Error{"truncated"};
  const std::size_t large_count = (data.size() - large - kTrailers) / 8;
  for (std::uint32_t i = 0; i < objects; ++i) {
    const std::uint32_t offset = read_be32(data.data() + kIdsAt + std::size_t{objects} * (GIT_OID_RAWSZ + 4) + i * 4);
    if ((offset & kLargeOffset) && (offset & ~kLargeOffset) >= large_count) return Error{"truncated"};
  }
  return IndexView(data, objects);
}

git_oid IndexView::id(std::uint32_t i) const {
  git_oid id;
  std::memcpy(id.id, m_data.data() + kIdsAt + std::size_t{i} * GIT_OID_RAWSZ, GIT_OID_RAWSZ);
  return id;
}

std::uint32_t IndexView::crc(std::uint32_t i) const {
  return read_be32(m_data.data() + kIdsAt + std::size_t{m_objects} * GIT_OID_RAWSZ + std::size_t{i} * 4);
}

std::uint64_t IndexView::offset(std::uint32_t i) const {
  const std::size_t offsets = kIdsAt + std::size_t{m_objects} * (GIT_OID_RAWSZ + 4);
  const std::uint32_t small = read_be32(m_data.data() + offsets + std::size_t{i} * 4);
  if (!(small & kLargeOffset)) return small;
  const char *large = m_data.data() + offsets + std::size_t{m_objects} * 4 + std::size_t{small & ~kLargeOffset} * 8;
  return std::uint64_t{read_be32(large)} << 32 | read_be32(large + 4);
}

std::optional<std::uint32_t> IndexView::find(const git_oid &id) const {
  // The fan-out gives the range of ids starting with id's first byte; a binary search does the rest.
  const std::size_t first = id.id[0];
  std::uint32_t low = first == 0 ? 0 : read_be32(m_data.data() + kFanoutAt + (first - 1) * 4);
  std::uint32_t high = read_be32(m_data.data() + kFanoutAt + first * 4);
  while (low < high) {
    const std::uint32_t middle = low + (high - low) / 2;
    const int order = std::memcmp(m_data.data() + kIdsAt + std::size_t{middle} * GIT_OID_RAWSZ, id.id, GIT_OID_RAWSZ);
    if (order == 0) return middle;
    if (order < 0)
      low = middle + 1;
    else
      high = middle;
  }
  return std::nullopt;
}

Checksum IndexView::pack_checksum() const {
  Checksum checksum{};
  std::memcpy(checksum.data(), m_data.data() + m_data.size() - kTrailers, checksum.size());
  return checksum;
}

} // namespace tasksync::pack_format
