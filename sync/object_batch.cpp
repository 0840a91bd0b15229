#include "object_batch.hpp"

#include <git2/sys/odb_backend.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "git_handles.hpp"

namespace tasksync {

struct ObjectBatch::Objects {
  struct Object {
    git_object_t type;
    std::string data;
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

  std::unordered_map<git_oid, Object, Hash, Equal> by_id;
  std::vector<git_oid> order; // as written: commits come after the trees and blobs they name
  std::size_t bytes = 0;

  void clear() {
    by_id.clear();
    order.clear();
    bytes = 0;
  }
};

namespace {

// Above the loose (1) and pack (2) backends, so that writes land here and reads look here first.
constexpr int kPriority = 100;

// The object-database backend libgit2 calls; standard layout, so libgit2's pointer to `base`
// is a pointer to the whole.
struct Backend {
  git_odb_backend base;
  ObjectBatch::Objects *objects;
};

ObjectBatch::Objects &objects_of(git_odb_backend *backend) { return *reinterpret_cast<Backend *>(backend)->objects; }

const ObjectBatch::Objects::Object *find(git_odb_backend *backend, const git_oid *id) {
  const auto &by_id = objects_of(backend).by_id;
  const auto found = by_id.find(*id);
  return found == by_id.end() ? nullptr : &found->second;
}

int read(void **data, std::size_t *size, git_object_t *type, git_odb_backend *backend, const git_oid *id) {
  const auto *object = find(backend, id);
  if (!object) return GIT_ENOTFOUND;
  *data = git_odb_backend_data_alloc(backend, object->data.size());
  if (!*data) return -1;
  std::memcpy(*data, object->data.data(), object->data.size());
  *size = object->data.size();
  *type = object->type;
  return 0;
}

int read_header(std::size_t *size, git_object_t *type, git_odb_backend *backend, const git_oid *id) {
  const auto *object = find(backend, id);
  if (!object) return GIT_ENOTFOUND;
  *size = object->data.size();
  *type = object->type;
  return 0;
}

int write(git_odb_backend *backend, const git_oid *id, const void *data, std::size_t size, git_object_t type) {
  auto &objects = objects_of(backend);
  const auto [at, added] =
      objects.by_id.try_emplace(*id, ObjectBatch::Objects::Object{type, std::string(static_cast<const char *>(data), size)});
  if (added) {
    objects.order.push_back(*id);
    objects.bytes += size;
  }
  return 0;
}

int exists(git_odb_backend *backend, const git_oid *id) { return find(backend, id) ? 1 : 0; }

void free_backend(git_odb_backend *backend) {
  delete reinterpret_cast<Backend *>(backend)->objects;
  delete reinterpret_cast<Backend *>(backend);
}

} // namespace

Result<ObjectBatch> ObjectBatch::attach(git_repository *repo) {
  git_odb *odb_raw = nullptr;
  if (const int rc = git_repository_odb(&odb_raw, repo); rc < 0) {
    return Error{"cannot open the object database: " + git_error_text(rc)};
  }
  const OdbPtr odb(odb_raw);
  auto *backend = new Backend{};
  git_odb_init_backend(&backend->base, GIT_ODB_BACKEND_VERSION);
  backend->objects = new Objects();
  backend->base.read = read;
  backend->base.read_header = read_header;
  backend->base.write = write;
  backend->base.exists = exists;
  backend->base.free = free_backend;
  Objects *objects = backend->objects;
  if (const int rc = git_odb_add_backend(odb.get(), &backend->base, kPriority); rc < 0) {
    free_backend(&backend->base);
    return Error{"cannot add an in-memory object store: " + git_error_text(rc)};
  }
  return ObjectBatch(repo, objects);
}

std::size_t ObjectBatch::bytes() const { return m_objects->bytes; }

std::size_t ObjectBatch::size() const { return m_objects->order.size(); }

Result<void> ObjectBatch::write_pack() {
  if (m_objects->order.empty()) return {};
  git_packbuilder *raw = nullptr;
  if (const int rc = git_packbuilder_new(&raw, m_repo); rc < 0) return Error{"cannot start a pack: " + git_error_text(rc)};
  const PackBuilderPtr builder(raw);
  for (const git_oid &id : m_objects->order) {
    if (const int rc = git_packbuilder_insert(builder.get(), &id, nullptr); rc < 0) {
      return Error{"cannot pack " + std::string(git_oid_tostr_s(&id)) + ": " + git_error_text(rc)};
    }
  }
  if (const int rc = git_packbuilder_write(builder.get(), nullptr, 0, nullptr, nullptr); rc < 0) {
    return Error{"cannot write the pack: " + git_error_text(rc)};
  }
  git_odb *odb = nullptr;
  if (const int rc = git_repository_odb(&odb, m_repo); rc < 0) {
    return Error{"cannot open the object database: " + git_error_text(rc)};
  }
  const OdbPtr owned(odb);
  // The pack backend must see the new pack before the objects leave memory.
  if (const int rc = git_odb_refresh(odb); rc < 0) return Error{"cannot load the new pack: " + git_error_text(rc)};
  m_objects->clear();
  return {};
}

void ObjectBatch::discard() { m_objects->clear(); }

} // namespace tasksync
