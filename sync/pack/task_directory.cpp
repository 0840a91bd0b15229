#include "pack/task_directory.hpp"

#include "pack/object_id.hpp"
#include "pack/tasks_tree.hpp"

namespace tasksync {

git_oid directory_id(const Snapshot &snapshot) {
  TasksTree directory = std::move(TasksTree::parse("").value());
  for (const RenderedFile &file : snapshot.files) {
    directory.set(file.name, GIT_FILEMODE_BLOB, object_id(GIT_OBJECT_BLOB, file.content));
  }
  return directory.id();
}

} // namespace tasksync
