#include "object_packer.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"
#include "mirror.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

std::string count_objects(const std::string &repo, const std::string &key) {
  const std::string text = test::git(repo, {"count-objects", "-v"}).out;
  const auto at = text.find(key + ": ");
  return at == std::string::npos ? "" : text.substr(at + key.size() + 2, text.find('\n', at) - at - key.size() - 2);
}

} // namespace

TEST(ObjectPacker, PacksEveryLooseObjectAndLosesNone) {
  test::TempDir dir;
  RepoSettings settings;
  settings.path = dir / "mirror";
  {
    auto mirror = Mirror::open(settings, Mirror::Access::read_write);
    ASSERT_TRUE(mirror.ok());
    for (int i = 1; i <= 60; ++i) {
      const Snapshot snapshot{{{"task.json", "{\"n\": " + std::to_string(i) + "}\n"}, {"task.ts", "// " + std::to_string(i)}}};
      ASSERT_TRUE(mirror->apply(snapshot, {test::numbered_task_id(i), test::numbered_task_id(i), "1", "2026-11-20T14:31:07Z", {1795185067, 0}}).ok());
    }
    ASSERT_TRUE(mirror->finish_pass().ok());
  }
  const std::string repo = settings.path.string();
  const int loose_before = std::stoi(count_objects(repo, "count"));
  EXPECT_GE(loose_before, 60 * 5);

  git_repository *raw = nullptr;
  ASSERT_EQ(git_repository_open(&raw, repo.c_str()), 0);
  const RepositoryPtr handle(raw);
  EXPECT_GT(estimate_loose_objects(raw), 0u);
  auto packed = pack_loose_objects(raw);
  ASSERT_TRUE(packed.ok()) << packed.error().message;
  EXPECT_EQ(static_cast<int>(*packed), loose_before);

  EXPECT_EQ(count_objects(repo, "count"), "0");
  EXPECT_EQ(count_objects(repo, "in-pack"), std::to_string(loose_before));
  EXPECT_EQ(estimate_loose_objects(raw), 0u);
  auto fsck = test::git(repo, {"fsck", "--strict", "--full"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
  EXPECT_EQ(test::git(repo, {"rev-list", "--count", "HEAD"}).out, "60\n");
  EXPECT_EQ(test::git(repo, {"status", "--porcelain"}).out, "");

  // The mirror goes on committing on top of packed history.
  auto mirror = Mirror::open(settings, Mirror::Access::read_write);
  ASSERT_TRUE(mirror.ok());
  const Snapshot changed{{{"task.json", "{\"n\": 1}\n"}, {"task.ts", "// changed"}}};
  auto applied = mirror->apply(changed, {test::numbered_task_id(1), test::numbered_task_id(1), "2", "2026-11-21T14:31:07Z", {1795271467, 0}});
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(applied->kind, ChangeKind::updated);
  EXPECT_EQ(pack_loose_objects(raw).value(), 5u) << "one new blob (task.json did not change), 3 trees, a commit";
}
