#include "run/runtime.hpp"

#include <gtest/gtest.h>

#include "base/log.hpp"
#include "fake_api.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "runtime-test-key";

// A runtime opened on a config file that a test then rewrites and reloads.
class RuntimeReloadTest : public ::testing::Test {
protected:
  RuntimeReloadTest() {
    setenv("ANCHORBROWSER_API_KEY", kKey.c_str(), 1);
    log::set_sink([](std::string_view) {});
    write_config("mirror", "  - " + test::numbered_task_id(1) + "\n");
    auto opened = open_runtime(m_dir / "config.yaml", Mirror::Access::read_write);
    EXPECT_TRUE(opened.ok()) << opened.error().message;
    m_runtime.emplace(std::move(opened).value());
  }
  ~RuntimeReloadTest() override {
    unsetenv("ANCHORBROWSER_API_KEY");
    log::set_sink({});
  }

  void write_config(const std::string &repo, const std::string &tasks, const std::string &branch = "main") {
    test::write_text(m_dir / "config.yaml", "api: {base_url: '" + m_api.base_url() + "'}\nrepo: {path: '" +
                                                (m_dir / repo).string() + "', branch: " + branch + "}\ntasks:\n" +
                                                tasks);
  }

  test::TempDir m_dir;
  test::FakeApi m_api{kKey};
  std::optional<Runtime> m_runtime;
};

} // namespace

TEST_F(RuntimeReloadTest, ANewConfigTakesOverTheRunMemoryAndTheRepository) {
  const RunMemory *memory = m_runtime->memory.get();
  const git_repository *repository = m_runtime->mirror.repository();
  m_runtime->reported_unlisted.insert(test::numbered_task_id(9));
  write_config("mirror", "  - " + test::numbered_task_id(1) + "\n  - " + test::numbered_task_id(2) + "\n");
  auto reloaded = reload_runtime(m_dir / "config.yaml", *m_runtime);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(reloaded->runtime.config.tasks.size(), 2u);
  EXPECT_EQ(reloaded->runtime.memory.get(), memory);
  EXPECT_EQ(reloaded->runtime.mirror.repository(), repository) << "the repository is not opened again";
  EXPECT_EQ(reloaded->runtime.reported_unlisted, std::set<std::string>{test::numbered_task_id(9)});
}

TEST_F(RuntimeReloadTest, ABrokenConfigLeavesTheRuntimeInForceUntouched) {
  test::write_text(m_dir / "config.yaml", "tasks: [broken\n");
  auto reloaded = reload_runtime(m_dir / "config.yaml", *m_runtime);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.error().message.rfind("config reload failed, keeping the previous config: ", 0), 0u)
      << reloaded.error().message;
  ASSERT_NE(m_runtime->memory, nullptr);
  EXPECT_EQ(m_runtime->config.tasks.size(), 1u);
  EXPECT_EQ(m_runtime->mirror.work_tree(), m_dir / "mirror");
}

TEST_F(RuntimeReloadTest, ANewBranchOfTheSameRepositoryWaitsForARestart) {
  write_config("mirror", "  - " + test::numbered_task_id(1) + "\n", "other");
  auto reloaded = reload_runtime(m_dir / "config.yaml", *m_runtime);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.error().message, "config reload: a new branch or author for the same repository takes effect at "
                                      "the next restart; keeping the previous config");
  EXPECT_EQ(m_runtime->config.repo.branch, "main");
}

TEST_F(RuntimeReloadTest, AnotherRepoPathIsCreatedAsAtStart) {
  write_config("elsewhere/mirror", "  - " + test::numbered_task_id(1) + "\n");
  auto reloaded = reload_runtime(m_dir / "config.yaml", *m_runtime);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(reloaded->runtime.mirror.work_tree(), m_dir / "elsewhere/mirror");
  EXPECT_TRUE(std::filesystem::exists(m_dir / "elsewhere/mirror/.git"));
}
