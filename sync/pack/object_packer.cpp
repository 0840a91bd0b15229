#include "pack/object_packer.hpp"

#include <git2/sys/odb_backend.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/git_handles.hpp"
#include "pack/pack_format.hpp"
#include "pack/pack_writer.hpp"

namespace tasksync {
namespace {

std::filesystem::path objects_dir(git_repository *repo) {
  return std::filesystem::path(git_repository_path(repo)) / "objects";
}

bool is_hex(const std::string &text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Every loose object: objects/xx/<38 hex digits>, with its file.
std::vector<std::pair<git_oid, std::filesystem::path>> loose_objects(git_repository *repo) {
  std::vector<std::pair<git_oid, std::filesystem::path>> found;
  std::error_code error;
  for (const auto &fanout : std::filesystem::directory_iterator(objects_dir(repo), error)) {
    const std::string prefix = fanout.path().filename().string();
    if (prefix.size() != 2 || !is_hex(prefix) || !fanout.is_directory(error)) continue;
    for (const auto &file : std::filesystem::directory_iterator(fanout.path(), error)) {
      const std::string rest = file.path().filename().string();
      if (rest.size() != GIT_OID_HEXSZ - 2 || !is_hex(rest)) continue; // temporary files and the like
      git_oid id;
      if (git_oid_fromstr(&id, (prefix + rest).c_str()) == 0) found.emplace_back(id, file.path());
    }
  }
  return found;
}

// Lets this process see new packs at once.
void refresh_odb(git_repository *repo) {
  git_odb *odb = nullptr;
  if (git_repository_odb(&odb, repo) == 0) git_odb_refresh(OdbPtr(odb).get());
}

// Frees a pack backend opened here, through its own free function.
struct OdbBackendFree {
  void operator()(git_odb_backend *backend) const { backend->free(backend); }
};
using OdbBackendPtr = std::unique_ptr<git_odb_backend, OdbBackendFree>;

// The pack whose index is `index`, on its own.
Result<OdbBackendPtr> open_pack(const std::filesystem::path &index) {
  git_odb_backend *backend = nullptr;
  if (const int rc = git_odb_backend_one_pack(&backend, index.c_str()); rc < 0) {
    return git_error("cannot open the pack " + index.string(), rc);
  }
  return OdbBackendPtr(backend);
}

// A pack in objects/pack: the path of its index and the number of objects it holds.
struct Pack {
  std::filesystem::path index;
  std::uint32_t objects = 0;
  std::filesystem::file_time_type written; // of the .pack, read for the packs to merge
};

// The object count in a pack's header, without reading on.
std::optional<std::uint32_t> pack_object_count(const std::filesystem::path &pack) {
  char header[pack_format::kPackHeaderSize];
  std::ifstream in(pack, std::ios::binary);
  if (!in.read(header, sizeof header)) return std::nullopt;
  const auto objects = pack_format::read_pack_header(std::string_view(header, sizeof header));
  return objects ? std::optional(*objects) : std::nullopt;
}

// The packs that may be merged, smallest first: each pack-*.idx with its .pack and no .keep.
std::vector<Pack> mergeable_packs(const std::filesystem::path &pack_dir) {
  std::vector<Pack> packs;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(pack_dir, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    const auto &index = it->path();
    if (index.extension() != ".idx" || !index.filename().string().starts_with("pack-")) continue;
    std::error_code keep_error;
    if (std::filesystem::exists(std::filesystem::path(index).replace_extension(".keep"), keep_error) || keep_error) {
      continue;
    }
    const auto objects = pack_object_count(std::filesystem::path(index).replace_extension(".pack"));
    if (objects) packs.push_back({index, *objects, {}});
  }
  std::sort(packs.begin(), packs.end(),
            [](const Pack &a, const Pack &b) { return std::tie(a.objects, a.index) < std::tie(b.objects, b.index); });
  return packs;
}

// How many of `packs` (smallest first, more than `max_packs` of them) to merge: enough that
// each pack left holds at least twice the objects of all smaller ones together, the merged
// one included, and that at most `max_packs` are left.
std::size_t packs_to_merge(const std::vector<Pack> &packs, std::size_t max_packs) {
  std::size_t geometric = 0;
  std::uint64_t smaller = 0;
  for (std::size_t i = 0; i < packs.size(); ++i) {
    if (packs[i].objects < 2 * smaller) geometric = i + 1;
    smaller += packs[i].objects;
  }
  return std::min(packs.size(), std::max(geometric, packs.size() + 1 - max_packs));
}

// Removes a merged pack: its index first, so that no reader looks in it any more, then the pack
// and what git keeps beside it. Should the index stay, the whole pack stays, still readable.
void remove_pack(const std::filesystem::path &index) {
  std::error_code error;
  if (!std::filesystem::remove(index, error)) return;
  for (const char *extension : {".pack", ".rev", ".bitmap", ".mtimes"}) {
    std::filesystem::remove(std::filesystem::path(index).replace_extension(extension), error);
  }
}

// The objects of a pack in the order they are in the file, from its index.
Result<std::vector<git_oid>> objects_in_write_order(const std::filesystem::path &index) {
  std::ifstream in(index, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto read = pack_format::IndexView::read(data);
  if (!read) return Error{index.string() + ": " + read.error().message};
  const pack_format::IndexView &view = *read;
  std::vector<std::pair<std::uint64_t, git_oid>> objects(view.objects());
  for (std::uint32_t i = 0; i < view.objects(); ++i)
    objects[i] = {view.offset(i), view.id(i)};
  std::sort(objects.begin(), objects.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<git_oid> ordered;
  ordered.reserve(objects.size());
  for (const auto &[offset, id] : objects)
    ordered.push_back(id);
  return ordered;
}

} // namespace

std::size_t estimate_loose_objects(git_repository *repo) {
  std::error_code error;
  std::size_t files = 0;
  for (auto it = std::filesystem::directory_iterator(objects_dir(repo) / "17", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++files;
  }
  return files * 256;
}

Result<std::size_t> pack_loose_objects(git_repository *repo) {
  const auto loose = loose_objects(repo);
  if (loose.empty()) return std::size_t{0};
  git_packbuilder *raw = nullptr;
  if (const int rc = git_packbuilder_new(&raw, repo); rc < 0) {
    return git_error("cannot start a pack", rc);
  }
  const PackBuilderPtr builder(raw);
  for (const auto &[id, file] : loose) {
    if (const int rc = git_packbuilder_insert(builder.get(), &id, nullptr); rc < 0) {
      return git_error("cannot pack " + std::string(git_oid_tostr_s(&id)), rc);
    }
  }
  // With fsync of the git directory on, libgit2 makes the pack and its index durable here.
  if (const int rc = git_packbuilder_write(builder.get(), nullptr, 0, nullptr, nullptr); rc < 0) {
    return git_error("cannot write the pack", rc);
  }
  for (const auto &[id, file] : loose) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  }
  for (const auto &[id, file] : loose)
    ::rmdir(file.parent_path().c_str()); // only the emptied ones go
  refresh_odb(repo);
  return loose.size();
}

Result<std::size_t> consolidate_packs(git_repository *repo, std::size_t max_packs) {
  const auto pack_dir = objects_dir(repo) / "pack";
  auto packs = mergeable_packs(pack_dir);
  if (packs.size() <= max_packs) return std::size_t{0};
  packs.resize(packs_to_merge(packs, max_packs));

  // Oldest pack first, each in the order it was written: the tasks/ trees of one pass after
  // another follow each other, and the writer stores them as small deltas.
  for (Pack &pack : packs) {
    std::error_code ignored;
    pack.written =
        std::filesystem::last_write_time(std::filesystem::path(pack.index).replace_extension(".pack"), ignored);
  }
  std::sort(packs.begin(), packs.end(),
            [](const Pack &a, const Pack &b) { return std::tie(a.written, a.index) < std::tie(b.written, b.index); });
  git_odb *odb_raw = nullptr;
  if (const int rc = git_repository_odb(&odb_raw, repo); rc < 0) {
    return git_error("cannot open the object database", rc);
  }
  const OdbPtr odb(odb_raw);
  PackWriter writer(pack_dir);
  std::vector<git_oid> ids;
  for (const auto &pack : packs) {
    TRY_ASSIGN(auto listed, objects_in_write_order(pack.index));
    for (const git_oid &id : listed) {
      git_odb_object *object_raw = nullptr;
      if (const int rc = git_odb_read(&object_raw, odb.get(), &id); rc < 0) {
        return git_error("cannot read " + std::string(git_oid_tostr_s(&id)) + " to merge it", rc);
      }
      const OdbObjectPtr object(object_raw);
      const std::string_view raw(static_cast<const char *>(git_odb_object_data(object.get())),
                                 git_odb_object_size(object.get()));
      TRY(writer.add(id, raw, git_odb_object_type(object.get())));
      ids.push_back(id);
    }
  }
  auto written = writer.finish();
  if (!written) return Error{"cannot write the merged pack: " + written.error().message};
  const std::filesystem::path merged_index = *written;
  writer.discard();

  // Only a pack that holds every object lets the merged ones go.
  TRY_ASSIGN(auto opened, open_pack(merged_index));
  git_odb_backend *merged = opened.get();
  for (const auto &id : ids) {
    if (!merged->exists(merged, &id)) {
      return Error{"the merged pack lacks " + std::string(git_oid_tostr_s(&id)) + "; the old packs stay"};
    }
  }
  // A multi-pack-index (only git writes one) would name the merged packs; without it, readers
  // use each pack's own index.
  std::error_code ignored;
  std::filesystem::remove(pack_dir / "multi-pack-index", ignored);
  for (const auto &pack : packs) {
    if (pack.index != merged_index) remove_pack(pack.index); // the same objects may give the same pack
  }
  refresh_odb(repo);
  return packs.size();
}

} // namespace tasksync
