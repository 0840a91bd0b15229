// Integration tests of the audit-trail features with the real binary: push to local bare
// remotes, whole-team discovery and hooks, against the in-process fake API.
#include <gtest/gtest.h>

#include <sstream>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-review-secret-99";

class ReviewTest : public test::DaemonFixture {
protected:
  ReviewTest() : DaemonFixture(kKey) {}

  // A config for the mirror `name` (a directory under the test's), pushing to `remote` if set.
  std::filesystem::path config(const std::string &name, const std::string &tasks_yaml, const std::string &remote = "",
                               const std::string &extra = "") {
    const auto file = m_dir / (name + ".yaml");
    std::string yaml =
        "api: {base_url: '" + m_api.base_url() + "', retries: 0}\nrepo:\n  path: " + (m_dir / name).string() + "\n";
    if (!remote.empty()) yaml += "  push: {remote: '" + remote + "'}\n";
    test::write_text(file, yaml + extra + tasks_yaml);
    return file;
  }

  test::TasksyncdRun once(const std::filesystem::path &config_file) {
    return run({"--config", config_file.string(), "--once"});
  }

  std::string git_out(const std::filesystem::path &repo, const std::vector<std::string> &args) {
    return test::git(repo.string(), args).out;
  }
};

} // namespace

TEST_F(ReviewTest, TwoMirrorsWithDisjointTasksPushToOneRemote) {
  const auto remote = m_dir / "remote.git";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", remote.string()}).exit_code, 0);
  for (int i = 1; i <= 4; ++i)
    serve(test::numbered_task_id(i), "1");
  const auto a =
      config("a", "tasks: [" + test::numbered_task_id(1) + ", " + test::numbered_task_id(2) + "]\n", remote.string());
  const auto b =
      config("b", "tasks: [" + test::numbered_task_id(3) + ", " + test::numbered_task_id(4) + "]\n", remote.string());

  ASSERT_EQ(once(a).exit_code, 0);
  auto second = once(b); // rejected as non-fast-forward, replays onto a's commits, pushes
  ASSERT_EQ(second.exit_code, 0) << second.err;
  serve(test::numbered_task_id(1), "2");
  serve(test::numbered_task_id(4), "2");
  ASSERT_EQ(once(a).exit_code, 0);
  ASSERT_EQ(once(b).exit_code, 0);

  const std::string subjects = git_out(remote, {"log", "--format=%s", "main"});
  for (const std::string &expected :
       {test::numbered_task_id(1) + ": add version 1", test::numbered_task_id(2) + ": add version 1",
        test::numbered_task_id(3) + ": add version 1", test::numbered_task_id(4) + ": add version 1",
        test::numbered_task_id(1) + ": update to version 2", test::numbered_task_id(4) + ": update to version 2"}) {
    EXPECT_NE(subjects.find(expected + "\n"), std::string::npos) << expected << "\n" << subjects;
  }
  EXPECT_EQ(git_out(remote, {"rev-list", "--count", "main"}), "6\n");
  EXPECT_EQ(git_out(remote, {"ls-tree", "--name-only", "main:tasks"}),
            test::numbered_task_id(1) + "\n" + test::numbered_task_id(2) + "\n" + test::numbered_task_id(3) + "\n" +
                test::numbered_task_id(4) + "\n");
  EXPECT_TRUE(test::fsck_clean(remote));
  for (const auto &mirror : {m_dir / "a", m_dir / "b"})
    EXPECT_TRUE(test::repository_consistent(mirror));
}

TEST_F(ReviewTest, ARemoteOutageLosesNothing) {
  const auto remote = m_dir / "later.git"; // does not exist yet: the remote is down
  serve(test::numbered_task_id(1), "1");
  const auto a = config("a", "tasks: [" + test::numbered_task_id(1) + "]\n", remote.string());
  auto down = once(a);
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("the commits stay here and the next cycle pushes them"), std::string::npos) << down.err;
  EXPECT_EQ(git_out(m_dir / "a", {"rev-list", "--count", "HEAD"}), "1\n");

  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", remote.string()}).exit_code, 0);
  auto recovered = once(a); // nothing new to commit, but the pending commit goes out
  EXPECT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_EQ(git_out(remote, {"rev-parse", "main"}), git_out(m_dir / "a", {"rev-parse", "HEAD"}));
  EXPECT_TRUE(test::fsck_clean(remote));
}

TEST_F(ReviewTest, AllMirrorsEveryTaskOverSeveralPages) {
  for (int i = 1; i <= 230; ++i)
    serve(test::numbered_task_id(i), "1");
  const auto a = config("a", "tasks: all\ntasks_exclude: [" + test::numbered_task_id(7) + "]\n");
  auto result = once(a);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::istringstream listed(git_out(m_dir / "a", {"ls-tree", "--name-only", "HEAD:tasks"}));
  std::size_t count = 0;
  for (std::string line; std::getline(listed, line);) {
    ++count;
    EXPECT_NE(line, test::numbered_task_id(7));
  }
  EXPECT_EQ(count, 229u);
}

TEST_F(ReviewTest, AHookRunsWithTheCommitsEnvironment) {
  serve(test::numbered_task_id(1), "5");
  const auto out = m_dir / "hook.out";
  const auto a = config("a", "tasks: [" + test::numbered_task_id(1) + "]\n", "",
                        "hooks:\n  on_change: [/bin/sh, -c, 'env | grep ^TASKSYNC_ | sort > " + out.string() + "']\n");
  ASSERT_EQ(once(a).exit_code, 0);
  EXPECT_EQ(test::read_text(out), "TASKSYNC_COMMIT=" + git_out(m_dir / "a", {"rev-parse", "HEAD"}) +
                                      "TASKSYNC_REF=refs/heads/main\nTASKSYNC_REPO=" + (m_dir / "a").string() +
                                      "\nTASKSYNC_TASK_ID=" + test::numbered_task_id(1) + "\nTASKSYNC_VERSION=5\n");
}

// Two mirrors take turns on one remote, so every push after the first is rejected and replayed
// onto the other's commits: each hook must be handed the replayed commit, the one that is on the
// remote and on the mirror's branch, never the one from before the replay.
TEST_F(ReviewTest, HooksAreHandedTheCommitsThatReachedTheRemote) {
  const auto remote = m_dir / "remote.git";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", remote.string()}).exit_code, 0);
  const std::string hook = "hooks:\n  on_change: [/bin/sh, -c, 'echo $TASKSYNC_COMMIT >> " + (m_dir / "hook.").string();
  const auto a = config("a", "tasks: [" + test::numbered_task_id(1) + "]\n", remote.string(), hook + "a']\n");
  const auto b = config("b", "tasks: [" + test::numbered_task_id(2) + "]\n", remote.string(), hook + "b']\n");
  constexpr int kRounds = 8;
  for (int round = 1; round <= kRounds; ++round) {
    serve(test::numbered_task_id(1), std::to_string(round));
    serve(test::numbered_task_id(2), std::to_string(round));
    for (const auto &mirror : {a, b}) {
      const auto run = once(mirror);
      ASSERT_EQ(run.exit_code, 0) << run.err;
    }
  }
  EXPECT_EQ(git_out(remote, {"rev-list", "--count", "main"}), std::to_string(2 * kRounds) + "\n");
  for (const std::string name : {"a", "b"}) {
    std::istringstream ids(test::read_text(m_dir / ("hook." + name)));
    int handed = 0;
    for (std::string id; std::getline(ids, id); ++handed) {
      EXPECT_EQ(test::git(remote.string(), {"cat-file", "-e", id + "^{commit}"}).exit_code, 0)
          << "mirror " << name << "'s hook got " << id << ", which the remote does not have";
      EXPECT_EQ(test::git((m_dir / name).string(), {"merge-base", "--is-ancestor", id, "main"}).exit_code, 0)
          << "mirror " << name << "'s hook got " << id << ", which is not on its branch";
    }
    EXPECT_EQ(handed, kRounds) << "mirror " << name;
  }
}
