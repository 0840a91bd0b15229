// Integration tests of draft branches (repo.drafts): each task's pending draft as
// drafts/<taskId>, one commit on the branch tip, rebuilt, kept or deleted as the draft and the
// branch move; the real tasksyncd against the fake API's drafts.
#include <gtest/gtest.h>

#include <csignal>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-drafts-secret-0123456789abcdef";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kNew = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kDraftRef = "drafts/" + kTask;

class DraftsTest : public test::DaemonFixture {
protected:
  DraftsTest() : DaemonFixture(kKey) {
    write_config();
    m_api.set_version(version("5"));
  }

  void write_config(const std::string &repo_extra = "", const std::string &poll = "") {
    DaemonFixture::write_config(
        {.top = poll, .repo_keys = repo_extra, .rest = "tasks:\n  - id: " + kTask + "\n    name: checkout\n"});
  }

  static test::FakeVersion version(const std::string &number, const std::string &code = "") {
    test::FakeVersion v = test::task_version(kTask, number);
    if (!code.empty()) v.code = code;
    return v;
  }
};

} // namespace

TEST_F(DraftsTest, APendingDraftIsABranchOfOneCommitWithItsTrailersAndTheExactDiff) {
  m_api.set_draft(kTask, test::draft_version(kTask, "// the AI's fix\n"));
  const auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(has_ref(kDraftRef)) << result.err;
  EXPECT_EQ(git_out({"rev-list", "--count", "main"}), "1\n") << "the branch's history is not touched";
  EXPECT_EQ(git_out({"rev-parse", kDraftRef + "^"}), git_out({"rev-parse", "main"}));
  EXPECT_EQ(git_out({"log", "-1", "--format=%B", kDraftRef}),
            "checkout: draft based on version 5\n\nTask-Id: " + kTask +
                "\nTask-Draft-Id: d1d1d1d1-0000-4000-8000-000000000001\nTask-Draft-Base: 5\n"
                "Task-Updated-At: 2026-11-25T09:00:00Z\n\n");
  EXPECT_EQ(git_out({"log", "-1", "--format=%aI", kDraftRef}), "2026-11-25T09:00:00+00:00\n");
  EXPECT_EQ(git_out({"diff", "--name-only", "main..." + kDraftRef}),
            "tasks/" + kTask + "/task.json\ntasks/" + kTask + "/task.ts\n");
  EXPECT_EQ(git_out({"show", kDraftRef + ":tasks/" + kTask + "/task.ts"}), "// the AI's fix\n");
  const std::string sidecar = git_out({"show", kDraftRef + ":tasks/" + kTask + "/task.json"});
  EXPECT_NE(sidecar.find("\"version\": \"draft\""), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find("\"updatedAt\": \"2026-11-25T09:00:00Z\""), std::string::npos) << sidecar;
  EXPECT_EQ(test::read_text(m_repo / "tasks" / kTask / "task.ts"), version("5").code) << "the work tree is main's";
  EXPECT_NE(result.err.find("task " + kTask + ": draft-added refs/heads/" + kDraftRef), std::string::npos)
      << result.err;
  EXPECT_EQ(m_api.draft_requests(kTask), 1);
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DraftsTest, AnUnchangedDraftMovesNothingAndAChangedOneOrANewVersionRebuildsTheBranch) {
  m_api.set_draft(kTask, test::draft_version(kTask, "// draft one\n"));
  ASSERT_EQ(once().exit_code, 0);
  const std::string first = git_out({"rev-parse", kDraftRef});
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(git_out({"rev-parse", kDraftRef}), first) << "an unchanged draft moved";

  m_api.set_draft(kTask, test::draft_version(kTask, "// draft two\n", "d1d1d1d1-0000-4000-8000-000000000001",
                                             "2026-11-26T09:00:00Z"));
  ASSERT_EQ(once().exit_code, 0);
  const std::string second = git_out({"rev-parse", kDraftRef});
  EXPECT_NE(second, first);
  EXPECT_EQ(git_out({"show", kDraftRef + ":tasks/" + kTask + "/task.ts"}), "// draft two\n");
  EXPECT_EQ(git_out({"rev-parse", kDraftRef + "^"}), git_out({"rev-parse", "main"}));

  m_api.set_version(version("6"));
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(git_out({"rev-parse", kDraftRef + "^"}), git_out({"rev-parse", "main"})) << "not rebuilt on the new tip";
  EXPECT_EQ(git_out({"log", "-1", "--format=%s", kDraftRef}), "checkout: draft based on version 6\n");
  EXPECT_EQ(git_out({"diff", "--name-only", "main..." + kDraftRef}),
            "tasks/" + kTask + "/task.json\ntasks/" + kTask + "/task.ts\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DraftsTest, ADraftThatHoldsWhatTheBranchHoldsHasNoBranchAndAGoneDraftLosesIt) {
  m_api.set_draft(kTask, test::draft_version(kTask, version("5").code)); // only its number and dates differ
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_FALSE(has_ref(kDraftRef));

  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  ASSERT_EQ(once().exit_code, 0);
  ASSERT_TRUE(has_ref(kDraftRef));

  m_api.set_draft(kTask, std::nullopt);
  const auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(has_ref(kDraftRef));
  EXPECT_NE(result.err.find("draft-removed refs/heads/" + kDraftRef), std::string::npos) << result.err;

  // Published as the next version: the draft is what the branch holds now.
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  ASSERT_EQ(once().exit_code, 0);
  ASSERT_TRUE(has_ref(kDraftRef));
  m_api.set_version(version("6", "// pending\n"));
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_FALSE(has_ref(kDraftRef));
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DraftsTest, ADraftOfATaskWithNoVersionYetIsADraftOfANewTask) {
  test::write_text(m_config, "api:\n  base_url: " + m_api.base_url() + "\n  timeout_seconds: 5\nrepo:\n  path: " +
                                 m_repo.string() + "\ntasks:\n  - " + kTask + "\n  - " + kNew + "\n");
  test::FakeVersion fresh = test::draft_version(kTask, "// first draft\n");
  m_api.set_draft(kNew, fresh);
  const auto result = once();
  EXPECT_EQ(result.exit_code, 1) << "the new task has no version to fetch\n" << result.err;
  ASSERT_TRUE(has_ref("drafts/" + kNew)) << result.err;
  EXPECT_EQ(git_out({"log", "-1", "--format=%B", "drafts/" + kNew}),
            kNew + ": draft of a new task\n\nTask-Id: " + kNew +
                "\nTask-Draft-Id: d1d1d1d1-0000-4000-8000-000000000001\nTask-Updated-At: 2026-11-25T09:00:00Z\n\n");
}

TEST_F(DraftsTest, DraftsAreReadOnTheFirstPassAndOnFullChecksOnly) {
  write_config("", "poll:\n  interval_seconds: 300\n  full_check_every: 3\n");
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  auto daemon = start();
  const auto passes = [&] { return test::passes_finished(*daemon); };
  ASSERT_TRUE(test::wait_until([&] { return passes() == 1; }, 15s)) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTask), 1) << "the first pass reads drafts";
  EXPECT_TRUE(has_ref(kDraftRef));
  daemon->signal(SIGUSR1);
  ASSERT_TRUE(test::wait_until([&] { return passes() == 2; }, 15s)) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTask), 1) << "an ordinary pass reads no draft";
  m_api.set_draft(kTask, std::nullopt);
  daemon->signal(SIGUSR1);
  ASSERT_TRUE(test::wait_until([&] { return passes() == 3; }, 15s)) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTask), 2) << "the third pass is a full check";
  EXPECT_FALSE(has_ref(kDraftRef));
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
}

TEST_F(DraftsTest, DraftsFalseSendsNoDraftRequestAndMakesNoBranch) {
  write_config("  drafts: false\n");
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_EQ(m_api.draft_requests(kTask), 0);
  EXPECT_EQ(git_out({"for-each-ref", "--format=%(refname)"}), "refs/heads/main\n");
}

TEST_F(DraftsTest, AnotherPrefixIsUsedAndOneThatClashesWithTheBranchIsAConfigError) {
  write_config("  drafts_prefix: review/\n");
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  ASSERT_EQ(once().exit_code, 0);
  EXPECT_TRUE(has_ref("review/" + kTask));
  EXPECT_FALSE(has_ref(kDraftRef));

  write_config("  branch: drafts\n");
  const auto clash = once();
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_NE(clash.err.find("repo.drafts_prefix: \"drafts/\" clashes with repo.branch \"drafts\""), std::string::npos)
      << clash.err;
}

TEST_F(DraftsTest, DryRunShowsADraftWithItsDiffAndWritesNothing) {
  ASSERT_EQ(once().exit_code, 0);
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  const auto result = run_mode("--dry-run");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("draft-added   " + kTask + " refs/heads/" + kDraftRef + "\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("+// pending\n"), std::string::npos) << result.out;
  EXPECT_FALSE(has_ref(kDraftRef));
}

// The tip moves without a commit of the pass (a person's commit, a push's replay): the next pass
// rebuilds the draft branches on it, reading no draft.
TEST_F(DraftsTest, ADraftBranchFollowsATipThatMovedBetweenPasses) {
  write_config("", "poll:\n  interval_seconds: 300\n");
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  auto daemon = start();
  const auto passes = [&] { return test::passes_finished(*daemon); };
  ASSERT_TRUE(test::wait_until([&] { return passes() == 1; }, 15s)) << daemon->err();
  ASSERT_TRUE(has_ref(kDraftRef)) << daemon->err();
  test::write_text(m_repo / "README.md", "a person's note\n");
  ASSERT_EQ(git({"add", "README.md"}).exit_code, 0);
  ASSERT_EQ(git({"-c", "user.name=P", "-c", "user.email=p@x", "commit", "-qm", "readme"}).exit_code, 0);
  daemon->signal(SIGUSR1);
  ASSERT_TRUE(test::wait_until([&] { return passes() == 2; }, 15s)) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTask), 1) << "no draft read";
  EXPECT_EQ(git_out({"rev-parse", kDraftRef + "^"}), git_out({"rev-parse", "main"}));
  EXPECT_EQ(git_out({"show", kDraftRef + ":README.md"}), "a person's note\n");
  EXPECT_EQ(git_out({"show", kDraftRef + ":tasks/" + kTask + "/task.ts"}), "// pending\n");
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(DraftsTest, ADraftRebuiltOnANewVersionByAPassThatReadsNoDraftKeepsTheTasksName) {
  write_config("", "poll:\n  interval_seconds: 300\n  full_check_every: 100\n");
  m_api.set_draft(kTask, test::draft_version(kTask, "// pending\n"));
  auto daemon = start();
  ASSERT_TRUE(test::wait_until([&] { return has_ref(kDraftRef); }, 15s)) << daemon->err();
  m_api.set_version(version("6"));
  daemon->signal(SIGUSR1);
  ASSERT_TRUE(test::wait_until(
      [&] {
        return git({"log", "-1", "--format=%s", kDraftRef}).out.find("version 6") != std::string::npos;
      },
      15s))
      << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTask), 1) << "the second pass read no draft";
  EXPECT_EQ(git_out({"log", "-1", "--format=%s", kDraftRef}), "checkout: draft based on version 6\n");
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
}
