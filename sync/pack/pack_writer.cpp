#include "pack/pack_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/atomic_file.hpp"
#include "base/file_descriptor.hpp"
#include "base/hex.hpp"
#include "pack/object_id.hpp"
#include "pack/pack_format.hpp"

namespace tasksync {
namespace {

// Trees at least this big (the tasks/ tree) are stored as a delta against the previous one.
constexpr std::size_t kDeltaMinimum = 4096;
// Longest chain of deltas before a tree is stored whole again (git gc --aggressive's --depth):
// each link costs a copy of the tree when read cold, and the tip is read once per process.
constexpr int kMaxDepth = 250;
// Raw objects kept in memory after they are written, for the reads that follow at once (the
// commit reads its tree, the next commit its parent); big trees are kept apart, one at a time.
constexpr std::size_t kRecentBytes = std::size_t{1} << 20;
constexpr std::size_t kRecentObjects = 64;
constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
// Not "tmp_": `git prune` (run by `git gc`) deletes tmp_* files in objects/pack, in use or not.
constexpr std::string_view kTempPrefix = ".tasksync-incoming-";
// What a .keep file of ours says, so that only ours are removed after a crash.
constexpr std::string_view kKeepMessage = "tasksync: a pass being recorded\n";
Error os_error(const std::string &what, const std::string &path) {
  return Error{what + " " + path + ": " + std::strerror(errno)};
}

// True when `file` holds exactly `content` (read without following a symlink or blocking).
bool holds(const std::filesystem::path &file, std::string_view content) {
  const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd.is_open()) return false;
  std::string got(content.size() + 1, '\0');
  const ssize_t size = ::read(fd.get(), got.data(), got.size());
  return size == static_cast<ssize_t>(content.size()) && got.compare(0, content.size(), content) == 0;
}

// Where `raw` agrees with `base`: the bytes of their common start, then of their common end
// after it (the two never overlap).
std::pair<std::size_t, std::size_t> common_ends(std::string_view base, std::string_view raw) {
  const std::size_t limit = std::min(base.size(), raw.size());
  constexpr std::size_t kBlock = 64; // memcmp a block at a time: these trees are big
  std::size_t prefix = 0;
  while (prefix + kBlock <= limit && std::memcmp(base.data() + prefix, raw.data() + prefix, kBlock) == 0) {
    prefix += kBlock;
  }
  while (prefix < limit && base[prefix] == raw[prefix])
    ++prefix;
  std::size_t suffix = 0;
  while (suffix + kBlock <= limit - prefix && std::memcmp(base.data() + base.size() - suffix - kBlock,
                                                          raw.data() + raw.size() - suffix - kBlock, kBlock) == 0) {
    suffix += kBlock;
  }
  while (suffix < limit - prefix && base[base.size() - 1 - suffix] == raw[raw.size() - 1 - suffix])
    ++suffix;
  return {prefix, suffix};
}

Result<std::string> deflate_all(std::string_view raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef *>(out.data()), &size, reinterpret_cast<const Bytef *>(raw.data()),
                static_cast<uLong>(raw.size()), Z_BEST_SPEED) != Z_OK) {
    return Error{"cannot compress an object"};
  }
  out.resize(size);
  return out;
}

} // namespace

struct PackWriter::State {
  // Where an object is in the pack being written (kept small: one per object of the pass).
  struct Entry {
    std::uint64_t offset = 0; // of the entry in the pack
    std::uint32_t size = 0;   // inflated
    std::uint32_t stored = 0; // bytes of the zlib stream
    std::uint32_t crc = 0;    // of the whole entry, for the index
    std::uint8_t header = 0;  // bytes before the zlib stream
    git_object_t type = GIT_OBJECT_INVALID;
  };
  // A delta entry's object: `instructions` (as the entry holds them, inflated) applied to `base`.
  struct Delta {
    git_oid base;
    std::string instructions;
    int depth = 0;
  };
  struct Hash {
    std::size_t operator()(const git_oid &id) const {
      std::size_t value;
      std::memcpy(&value, id.id, sizeof value); // an object id is already uniformly spread
      return value;
    }
  };
  struct Equal {
    bool operator()(const git_oid &a, const git_oid &b) const { return git_oid_equal(&a, &b); }
  };

  std::string pack_dir;
  std::string temp_path;  // empty until the first object
  FileDescriptor fd;      // the unfinished pack
  std::uint64_t size = 0; // of the pack so far, buffer included
  std::string buffer;     // written to fd when it grows, and before reads
  std::unordered_map<git_oid, Entry, Hash, Equal> entries;
  std::unordered_map<git_oid, Delta, Hash, Equal> deltas;
  std::vector<git_oid> order;
  std::deque<std::pair<git_oid, std::string>> recent; // newest last
  std::size_t recent_bytes = 0;
  std::optional<git_oid> last_big_tree; // the base for the next big tree's delta
  std::string last_big_tree_data;
  std::string scratch;           // a delta being made: its room is reused from one big tree to the next
  std::optional<Error> failure;  // a write failed: only drop() makes the writer usable again
  std::vector<std::string> kept; // .keep files of finished packs, until release_kept()

  ~State() {
    drop();
    release_kept();
  }

  void release_kept() {
    for (const std::string &keep : kept)
      ::unlink(keep.c_str());
    kept.clear();
  }

  // Forgets everything and removes the unfinished pack.
  void drop() {
    fd.close();
    if (!temp_path.empty()) ::unlink(temp_path.c_str());
    temp_path.clear();
    size = 0;
    buffer.clear();
    entries.clear();
    deltas.clear();
    order.clear();
    recent.clear();
    recent_bytes = 0;
    last_big_tree.reset();
    last_big_tree_data.clear();
    failure.reset();
  }

  Result<void> flush() {
    if (failure) return *failure;
    std::string_view rest = buffer;
    while (!rest.empty()) {
      const ssize_t written = ::write(fd.get(), rest.data(), rest.size());
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) {
        // Part of the buffer may be in the file: the pack can only be thrown away now.
        failure = os_error("cannot write", temp_path);
        return *failure;
      }
      rest.remove_prefix(static_cast<std::size_t>(written));
    }
    buffer.clear();
    return {};
  }

  Result<void> start() {
    temp_path = pack_dir + "/" + std::string(kTempPrefix) + "XXXXXX";
    fd = FileDescriptor(::mkostemp(temp_path.data(), O_CLOEXEC));
    if (!fd.is_open()) {
      const Error error = os_error("cannot create a pack in", pack_dir);
      temp_path.clear();
      return error;
    }
    const auto header = pack_format::pack_header(0); // the count is filled in at the end
    buffer.assign(header.data(), header.size());
    size = buffer.size();
    return {};
  }

  void remember(const git_oid &id, std::string_view raw) {
    if (raw.size() >= kDeltaMinimum) return; // big trees: last_big_tree_data
    recent.emplace_back(id, std::string(raw));
    recent_bytes += raw.size();
    while ((recent_bytes > kRecentBytes || recent.size() > kRecentObjects) && recent.size() > 1) {
      recent_bytes -= recent.front().second.size();
      recent.pop_front();
    }
  }

  Result<void> add(const git_oid &id, std::string_view raw, git_object_t type) {
    if (failure) return *failure;
    if (!fd.is_open()) {
      if (auto started = start(); !started) return started;
    }
    if (raw.size() > UINT32_MAX) return Error{"object too large for a pack entry"};
    Entry entry;
    entry.type = type;
    entry.size = static_cast<std::uint32_t>(raw.size());
    entry.offset = size;
    std::optional<Delta> delta;
    pack_format::EncodedEntryHeader header;
    const bool big_tree = type == GIT_OBJECT_TREE && raw.size() >= kDeltaMinimum;
    const auto base_delta = last_big_tree ? deltas.find(*last_big_tree) : deltas.end();
    const int base_depth = base_delta == deltas.end() ? 0 : base_delta->second.depth;
    if (big_tree && last_big_tree && base_depth < kMaxDepth) {
      // The tasks/ tree of one commit differs from the previous one in one entry: a delta of
      // "copy the start, insert the new entry, copy the end" is a few dozen bytes.
      const std::string_view base = last_big_tree_data;
      const auto [prefix, suffix] = common_ends(base, raw);
      if (prefix + suffix >= raw.size() / 2) {
        const std::string_view middle = raw.substr(prefix, raw.size() - prefix - suffix);
        scratch.clear();
        pack_format::append_delta_sizes(scratch, base.size(), raw.size());
        pack_format::append_delta_copy(scratch, 0, prefix);
        pack_format::append_delta_insert(scratch, middle);
        pack_format::append_delta_copy(scratch, base.size() - suffix, suffix);
        header = pack_format::ofs_delta_header(scratch.size(), entry.offset - entries.at(*last_big_tree).offset);
        delta = Delta{*last_big_tree, scratch, base_depth + 1}; // kept for reads, without the slack
      }
    }
    if (!delta) header = pack_format::entry_header(type, raw.size());
    TRY_ASSIGN(auto compressed, deflate_all(delta ? std::string_view(delta->instructions) : raw));
    if (compressed.size() > UINT32_MAX) return Error{"object too large for a pack entry"};
    entry.header = static_cast<std::uint8_t>(header.bytes().size());
    entry.stored = static_cast<std::uint32_t>(compressed.size());
    entry.crc = pack_format::entry_crc32(header.bytes(), compressed);
    buffer += header.bytes();
    buffer += compressed;
    size += header.bytes().size() + compressed.size();
    entries.emplace(id, entry);
    if (delta) deltas.emplace(id, std::move(*delta));
    order.push_back(id);
    if (big_tree) {
      last_big_tree = id;
      last_big_tree_data = raw;
    }
    remember(id, raw);
    if (buffer.size() >= kBufferBytes) return flush();
    return {};
  }

  Result<std::string> read(const git_oid &id) {
    for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
      if (git_oid_equal(&it->first, &id)) return it->second;
    }
    if (last_big_tree && git_oid_equal(&*last_big_tree, &id)) return last_big_tree_data;
    const Entry &entry = entries.at(id);
    if (const auto found = deltas.find(id); found != deltas.end()) {
      TRY_ASSIGN(const std::string base, read(found->second.base));
      auto rebuilt = pack_format::apply_delta(base, found->second.instructions);
      if (!rebuilt) return Error{"cannot rebuild an object of " + temp_path + ": " + rebuilt.error().message};
      return rebuilt;
    }
    TRY(flush());
    std::string stored(std::size_t{entry.header} + entry.stored, '\0');
    if (::pread(fd.get(), stored.data(), stored.size(), static_cast<off_t>(entry.offset)) !=
        static_cast<ssize_t>(stored.size())) {
      return os_error("cannot read back", temp_path);
    }
    // The header read back must be the one written: a mismatch means the offset or file is wrong.
    const auto header = pack_format::read_entry_header(stored);
    if (!header || header->type != entry.type || header->size != entry.size || header->length != entry.header) {
      return Error{"a corrupt entry in " + temp_path};
    }
    std::string raw(entry.size, '\0');
    uLongf size_out = static_cast<uLongf>(raw.size());
    if (uncompress(reinterpret_cast<Bytef *>(raw.data()), &size_out,
                   reinterpret_cast<const Bytef *>(stored.data() + entry.header),
                   static_cast<uLong>(entry.stored)) != Z_OK ||
        size_out != raw.size()) {
      return Error{"cannot inflate an object of " + temp_path};
    }
    return raw;
  }

  // The pack's index, for a pack whose trailer is `checksum`.
  std::string index(const pack_format::Checksum &checksum) const {
    std::vector<pack_format::IndexEntry> listed;
    listed.reserve(entries.size());
    for (const auto &[id, entry] : entries)
      listed.push_back({id, entry.offset, entry.crc});
    return pack_format::index(listed, checksum);
  }

  // Completes the pack (count, trailer), writes its index, and puts both in place, durably.
  Result<std::filesystem::path> finish() {
    TRY(flush());
    const auto header = pack_format::pack_header(static_cast<std::uint32_t>(order.size()));
    if (::pwrite(fd.get(), header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
      return os_error("cannot write", temp_path);
    }
    Sha1 sha;
    std::string chunk(kBufferBytes, '\0');
    for (std::uint64_t at = 0; at < size;) {
      const ssize_t got = ::pread(fd.get(), chunk.data(), chunk.size(), static_cast<off_t>(at));
      if (got <= 0) return os_error("cannot read back", temp_path);
      sha.update(std::string_view(chunk.data(), static_cast<std::size_t>(got)));
      at += static_cast<std::uint64_t>(got);
    }
    const auto checksum = sha.finish();
    buffer.assign(reinterpret_cast<const char *>(checksum.data()), checksum.size());
    TRY(flush());
    if (::fchmod(fd.get(), 0444) != 0 || ::fsync(fd.get()) != 0) return os_error("cannot complete", temp_path);
    std::string name;
    append_hex(name, checksum);
    const std::string base = pack_dir + "/pack-" + name;
    // Until the branch names its objects, a `git gc` or `git repack -a -d` beside us would see
    // them as unreachable and delete the pack: a .keep file, there before the pack is, stops it.
    if (auto keep = write_file_atomically(base + ".keep", kKeepMessage, Durability::page_cache); !keep) {
      return keep.error();
    }
    kept.push_back(base + ".keep");
    // The index names the pack to readers, so the pack goes in place first.
    if (::rename(temp_path.c_str(), (base + ".pack").c_str()) != 0) return os_error("cannot rename", temp_path);
    temp_path.clear();
    if (auto written = write_file_atomically(base + ".idx", index(checksum)); !written) {
      ::unlink((base + ".pack").c_str()); // a pack without its index is invisible: do not leave it
      return written.error();
    }
    ::chmod((base + ".idx").c_str(), 0444);
    return std::filesystem::path(base + ".idx");
  }
};

PackWriter::PackWriter(std::filesystem::path pack_dir) : m_state(std::make_unique<State>()) {
  m_state->pack_dir = pack_dir.string();
}

PackWriter::~PackWriter() = default;

Result<void> PackWriter::add(const git_oid &id, std::string_view raw, git_object_t type) {
  if (m_state->entries.count(id) > 0) return {};
  return m_state->add(id, raw, type);
}

std::optional<PackWriter::Header> PackWriter::header(const git_oid &id) const {
  const auto found = m_state->entries.find(id);
  if (found == m_state->entries.end()) return std::nullopt;
  return Header{found->second.type, found->second.size};
}

Result<std::string> PackWriter::read(const git_oid &id) { return m_state->read(id); }

std::size_t PackWriter::objects() const { return m_state->order.size(); }

std::uint64_t PackWriter::bytes() const { return m_state->size; }

Result<std::filesystem::path> PackWriter::finish() { return m_state->finish(); }

void PackWriter::discard() { m_state->drop(); }

void PackWriter::release_kept() { m_state->release_kept(); }

void PackWriter::remove_leftovers(const std::filesystem::path &pack_dir) {
  std::error_code error;
  for (const auto &entry : std::filesystem::directory_iterator(pack_dir, error)) {
    const std::string name = entry.path().filename().string();
    const bool ours = name.starts_with(kTempPrefix) || (name.ends_with(".keep") && holds(entry.path(), kKeepMessage));
    if (ours) std::filesystem::remove(entry.path(), error);
  }
}

} // namespace tasksync
