#include "run/version_history.hpp"

#include <gtest/gtest.h>

#include "pack/object_id.hpp"

using namespace tasksync;

namespace {

TaskVersion task_version(const std::string &number, const std::string &code, const std::string &description) {
  TaskVersion version;
  version.task_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
  version.version = number;
  version.code = code;
  version.language = "typescript";
  version.description = description;
  version.updated_at = version.created_at = "2026-11-20T14:31:07Z";
  return version;
}

// What HEAD holds once `version` is committed.
HeadTask head_of(const TaskVersion &version) {
  HeadTask head;
  for (const RenderedFile &file : render(version).files)
    head.files.push_back({file.name, object_id(GIT_OBJECT_BLOB, file.content), file.content});
  return head;
}

VersionMove move(const HeadTask &head, const TaskVersion &latest) { return version_move(head, latest, render(latest)); }

} // namespace

TEST(VersionNumber, IsTheWholeTextAsADecimalNumber) {
  EXPECT_EQ(version_number("7"), 7u);
  EXPECT_EQ(version_number("007"), 7u);
  EXPECT_EQ(version_number("18446744073709551615"), 18446744073709551615u);
  for (const char *text : {"", "latest", "draft", "7a", "-1", "+1", " 7", "18446744073709551616"})
    EXPECT_FALSE(version_number(text)) << text;
}

TEST(VersionMove, ALowerNumberIsARollbackAndTheSameNumberWithOtherContentIsARewrite) {
  const HeadTask head = head_of(task_version("5", "code", "a task"));
  EXPECT_EQ(move(head, task_version("6", "other code", "a task")), VersionMove::forward);
  EXPECT_EQ(move(head, task_version("3", "code", "a task")), VersionMove::rollback);
  EXPECT_EQ(move(head, task_version("5", "other code", "a task")), VersionMove::rewritten);
  EXPECT_EQ(move(head, task_version("5", "code", "another description")), VersionMove::rewritten);
  TaskVersion language = task_version("5", "code", "a task");
  language.language = "javascript";
  EXPECT_EQ(move(head, language), VersionMove::rewritten) << "another file name";
  HeadTask renamed = head;
  for (HeadFile &file : renamed.files) {
    if (file.name == "task.ts") file.name = "task.txt";
  }
  EXPECT_EQ(move(renamed, task_version("5", "code", "a task")), VersionMove::forward)
      << "the same code under a file name of an older release";
  TaskVersion dates = task_version("5", "code", "a task");
  dates.updated_at = "2026-12-01T00:00:00Z";
  EXPECT_EQ(move(head, dates), VersionMove::forward) << "only the dates changed";
  EXPECT_EQ(move(head, task_version("latest", "other", "x")), VersionMove::forward) << "not a number: as before";
  EXPECT_EQ(move(HeadTask{}, task_version("3", "code", "a task")), VersionMove::forward) << "HEAD says no number";
}
