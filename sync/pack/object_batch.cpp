#include "pack/object_batch.hpp"

#include <git2/sys/odb_backend.h>

#include <cstring>
#include <string>

#include "base/git_handles.hpp"
#include "pack/object_id.hpp"
#include "pack/pack_writer.hpp"

namespace tasksync {
namespace {

// Above the loose (1) and pack (2) backends, so that writes land here and reads look here first.
constexpr int kPriority = 100;

// The object-database backend libgit2 calls; standard layout, so libgit2's pointer to `base`
// is a pointer to the whole.
struct Backend {
  git_odb_backend base;
  PackWriter *writer;
};

PackWriter &writer_of(git_odb_backend *backend) { return *reinterpret_cast<Backend *>(backend)->writer; }

int fail(const Error &error) {
  git_error_set_str(GIT_ERROR_ODB, error.message.c_str());
  return -1;
}

int backend_read(void **data, std::size_t *size, git_object_t *type, git_odb_backend *backend, const git_oid *id) {
  const auto header = writer_of(backend).header(*id);
  if (!header) return GIT_ENOTFOUND;
  auto raw = writer_of(backend).read(*id);
  if (!raw) return fail(raw.error());
  *data = git_odb_backend_data_alloc(backend, raw->size());
  if (!*data) return -1;
  std::memcpy(*data, raw->data(), raw->size());
  *size = raw->size();
  *type = header->type;
  return 0;
}

int backend_read_header(std::size_t *size, git_object_t *type, git_odb_backend *backend, const git_oid *id) {
  const auto header = writer_of(backend).header(*id);
  if (!header) return GIT_ENOTFOUND;
  *size = header->size;
  *type = header->type;
  return 0;
}

int backend_write(git_odb_backend *backend, const git_oid *id, const void *data, std::size_t size, git_object_t type) {
  auto added = writer_of(backend).add(*id, std::string_view(static_cast<const char *>(data), size), type);
  return added ? 0 : fail(added.error());
}

int backend_exists(git_odb_backend *backend, const git_oid *id) { return writer_of(backend).header(*id) ? 1 : 0; }

void free_backend(git_odb_backend *backend) {
  delete reinterpret_cast<Backend *>(backend)->writer;
  delete reinterpret_cast<Backend *>(backend);
}

} // namespace

Result<ObjectBatch> ObjectBatch::attach(git_repository *repo) {
  git_odb *odb_raw = nullptr;
  if (const int rc = git_repository_odb(&odb_raw, repo); rc < 0) {
    return git_error("cannot open the object database", rc);
  }
  const OdbPtr odb(odb_raw);
  const std::filesystem::path pack_dir = std::filesystem::path(git_repository_path(repo)) / "objects/pack";
  std::error_code error;
  std::filesystem::create_directories(pack_dir, error);
  auto *backend = new Backend{};
  git_odb_init_backend(&backend->base, GIT_ODB_BACKEND_VERSION);
  backend->writer = new PackWriter(pack_dir);
  backend->base.read = backend_read;
  backend->base.read_header = backend_read_header;
  backend->base.write = backend_write;
  backend->base.exists = backend_exists;
  backend->base.free = free_backend;
  PackWriter *writer = backend->writer;
  if (const int rc = git_odb_add_backend(odb.get(), &backend->base, kPriority); rc < 0) {
    free_backend(&backend->base);
    return git_error("cannot add the pass's object store", rc);
  }
  return ObjectBatch(repo, writer);
}

void ObjectBatch::remove_leftovers(git_repository *repo) {
  PackWriter::remove_leftovers(std::filesystem::path(git_repository_path(repo)) / "objects/pack");
}

Result<git_oid> ObjectBatch::write(git_object_t type, std::string_view content) {
  const git_oid id = object_id(type, content);
  TRY(m_writer->add(id, content, type));
  return id;
}

std::size_t ObjectBatch::bytes() const { return static_cast<std::size_t>(m_writer->bytes()); }

std::size_t ObjectBatch::size() const { return m_writer->objects(); }

Result<void> ObjectBatch::write_pack() {
  if (m_writer->objects() == 0) return {};
  TRY(m_writer->finish());
  git_odb *odb = nullptr;
  if (const int rc = git_repository_odb(&odb, m_repo); rc < 0) {
    return git_error("cannot open the object database", rc);
  }
  const OdbPtr owned(odb);
  // The pack backend must see the new pack before the objects leave this store.
  if (const int rc = git_odb_refresh(odb); rc < 0) return git_error("cannot load the new pack", rc);
  m_writer->discard();
  return {};
}

void ObjectBatch::discard() { m_writer->discard(); }

void ObjectBatch::release_packs() { m_writer->release_kept(); }

} // namespace tasksync
