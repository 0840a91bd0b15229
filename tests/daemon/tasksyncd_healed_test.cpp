// Integration tests of self-heals under review: a verified task.healed event brings its task's
// draft to drafts/<taskId> marked Task-Healed within a second (the poll interval is an hour, so
// nothing else could), an event naming no mirrored task makes the next pass read every draft
// (at most once per interval), and hooks run for draft branches too and are told the ref of each
// commit; the real tasksyncd against the fake API.
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"
#include "webhook_signing.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-healed-secret-4d2c";
const std::string kSecret = "whsec_healed_test_0c9b8a7f";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kUnmirrored = "0badc0de-0000-4000-8000-000000000000";
const std::string kHealedDraft = "4e1a0f3b-9c2d-4e5f-8a6b-7c8d9e0f1a2b";
const std::string kPersonsDraft = "d1d1d1d1-0000-4000-8000-000000000001";
const std::string kTasks = "tasks:\n  - id: " + kTaskA + "\n    name: checkout\n  - " + kTaskB + "\n";

class HealedTest : public test::DaemonFixture {
protected:
  HealedTest() : DaemonFixture(kKey) {
    serve(kTaskA);
    serve(kTaskB);
    test::write_text(m_dir / "webhook-secret", kSecret + "\n");
    write_config();
  }

  // Polls every hour, with full checks far apart (unless `full_check_every` says otherwise): only
  // a webhook (or a signal) starts a pass after the first, and only the first reads drafts by
  // schedule. `repo_extra` goes in `repo:`, `extra` at the top.
  void write_config(const std::string &extra = "", const std::string &tasks = kTasks,
                    const std::string &repo_extra = "", int full_check_every = 100) {
    DaemonFixture::write_config(
        {.api = "  retries: 0\n",
         .top = "poll:\n  interval_seconds: 3600\n  full_check_every: " + std::to_string(full_check_every) + "\n",
         .repo_keys = repo_extra,
         .rest = "http:\n  listen: 127.0.0.1:" + std::to_string(m_port) + "\n  webhook_secret_file: webhook-secret\n" +
                 extra + tasks});
  }

  // hooks.on_change appending "REF|COMMIT|VERSION|TASK" to `log`.
  static std::string hook_logging_to(const std::filesystem::path &log) {
    return "hooks:\n  on_change: [/bin/sh, -c, 'echo \"$TASKSYNC_REF|$TASKSYNC_COMMIT|$TASKSYNC_VERSION|"
           "$TASKSYNC_TASK_ID\" >> " +
           log.string() + "']\n";
  }
  // The line hook_logging_to() writes.
  static std::string hook_line(const std::string &ref, const std::string &commit, const std::string &version,
                               const std::string &task) {
    return ref + "|" + commit.substr(0, commit.find('\n')) + "|" + version + "|" + task + "\n";
  }

  // SIGUSR1, and waits for that pass to finish.
  void run_pass(test::ChildProcess &daemon) {
    const std::size_t before = test::passes_finished(daemon);
    daemon.signal(SIGUSR1);
    ASSERT_TRUE(test::wait_until([&] { return test::passes_finished(daemon) > before; }, 15s)) << daemon.err();
  }

  // `body` delivered signed now; its answer's body ("" when there was none).
  std::string deliver(const std::string &body) {
    httplib::Client client("127.0.0.1", m_port);
    client.set_read_timeout(5s);
    const httplib::Headers headers{{"Anchor-Signature", test::anchor_signature(kSecret, body, test::unix_now())}};
    auto answer = client.Post("/webhooks/anchorbrowser", headers, body, "application/json");
    EXPECT_TRUE(answer);
    if (!answer) return "";
    EXPECT_EQ(answer->status, 200) << answer->body;
    return answer->body;
  }

  bool marked_healed(const std::string &ref) {
    return git_out({"log", "-1", "--format=%B", ref}).find("\nTask-Healed: true\n") != std::string::npos;
  }

  void stop(test::ChildProcess &daemon) {
    DaemonFixture::stop(daemon, kSecret);
    EXPECT_TRUE(test::repository_consistent(m_repo));
  }
};

} // namespace

TEST_F(HealedTest, AHealedEventsDraftArrivesAsItsDraftBranchMarkedHealedWithinASecond) {
  auto daemon = start_after_first_pass();
  ASSERT_FALSE(has_ref("drafts/" + kTaskA)) << daemon->err();
  const int latest_a = m_api.requests(kTaskA);
  const int drafts_a = m_api.draft_requests(kTaskA);
  const int drafts_b = m_api.draft_requests(kTaskB);
  // The heal is held for review: the draft holds it, /latest does not.
  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// the AI's fix\n", kHealedDraft));
  m_api.set_draft(kTaskB, test::draft_version(kTaskB, "// someone's draft\n", kPersonsDraft));

  const auto posted = std::chrono::steady_clock::now();
  EXPECT_EQ(deliver(test::task_event("evt_heal_1", "task.healed", kTaskA, "task_id", kHealedDraft)),
            "{\"event\":\"accepted\",\"pass\":\"started\"}\n");
  ASSERT_TRUE(test::wait_until([&] { return has_ref("drafts/" + kTaskA); }, 10s)) << daemon->err();
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - posted);
  std::cout << "POST to the healed draft's branch: " << latency.count() << " ms\n";
  EXPECT_LT(latency, 1000ms) << daemon->err();

  EXPECT_EQ(git_out({"log", "-1", "--format=%B", "drafts/" + kTaskA}),
            "checkout: draft based on version 1\n\nTask-Id: " + kTaskA + "\nTask-Draft-Id: " + kHealedDraft +
                "\nTask-Draft-Base: 1\nTask-Updated-At: 2026-11-25T09:00:00Z\nTask-Healed: true\n\n");
  EXPECT_EQ(git_out({"show", "drafts/" + kTaskA + ":tasks/" + kTaskA + "/task.ts"}), "// the AI's fix\n");
  EXPECT_EQ(git_out({"rev-parse", "drafts/" + kTaskA + "^"}), git_out({"rev-parse", "main"}));
  EXPECT_TRUE(test::wait_until([&] { return m_api.requests(kTaskA) == latest_a + 1; }, 5s))
      << "the pass reads the task's /latest too";
  EXPECT_EQ(m_api.draft_requests(kTaskA), drafts_a + 1);
  EXPECT_EQ(m_api.draft_requests(kTaskB), drafts_b) << "a draft no event named was read";
  EXPECT_FALSE(has_ref("drafts/" + kTaskB));
  EXPECT_EQ(commits(), 2) << "the branch's history is not touched";

  // Any other task event starts a pass of /latest alone.
  const int drafts_after = m_api.draft_requests(kTaskA);
  m_api.set_version(test::task_version(kTaskA, "2"));
  EXPECT_EQ(deliver(test::task_event("evt_done_1", "task.completed", kTaskA)),
            "{\"event\":\"accepted\",\"pass\":\"started\"}\n");
  ASSERT_TRUE(wait_for_commits(3, 10s)) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTaskA), drafts_after);
  stop(*daemon);
}

TEST_F(HealedTest, TheHealedMarkSurvivesARestartWhileTheSameDraftIsRebuiltAndGoesWithIt) {
  auto daemon = start_after_first_pass();
  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// the AI's fix\n", kHealedDraft));
  deliver(test::task_event("evt_heal_2", "task.healed", kTaskA, "task_id", kHealedDraft));
  ASSERT_TRUE(test::wait_until([&] { return has_ref("drafts/" + kTaskA); }, 10s)) << daemon->err();
  EXPECT_TRUE(marked_healed("drafts/" + kTaskA));
  stop(*daemon);

  // A new version published while tasksyncd was down: the same draft is rebuilt on it by a run
  // that never saw the event.
  m_api.set_version(test::task_version(kTaskA, "2"));
  auto once = run_mode("--once");
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_EQ(git_out({"rev-parse", "drafts/" + kTaskA + "^"}), git_out({"rev-parse", "main"})) << once.err;
  EXPECT_EQ(git_out({"log", "-1", "--format=%s", "drafts/" + kTaskA}), "checkout: draft based on version 2\n");
  EXPECT_TRUE(marked_healed("drafts/" + kTaskA)) << "the mark was lost when the draft was rebuilt";

  // Another draft (a person's edit after the heal) is not the healed one.
  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// a person's edit\n", kPersonsDraft));
  once = run_mode("--once");
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_EQ(git_out({"show", "drafts/" + kTaskA + ":tasks/" + kTaskA + "/task.ts"}), "// a person's edit\n");
  EXPECT_FALSE(marked_healed("drafts/" + kTaskA));
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HealedTest, AnUnmatchedHealedEventMakesTheNextPassReadEveryDraftAtMostOncePerInterval) {
  auto daemon = start_after_first_pass();
  ASSERT_EQ(m_api.draft_requests(kTaskA), 1) << "the first pass reads every draft";
  ASSERT_EQ(m_api.draft_requests(kTaskB), 1);
  run_pass(*daemon);
  ASSERT_EQ(m_api.draft_requests(kTaskA), 1) << "an ordinary pass reads no draft";
  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// someone's draft\n", kPersonsDraft));
  m_api.set_draft(kTaskB, test::draft_version(kTaskB, "// the AI's fix\n", kHealedDraft));

  // The platform's own task ID, which is not the legacy UUID tasksyncd mirrors by.
  EXPECT_EQ(deliver(test::task_event("evt_heal_3", "task.healed", "tsk_4f8w9n2b", "task_id", kHealedDraft)),
            "{\"event\":\"accepted\",\"drafts\":\"next pass\"}\n");
  EXPECT_NE(daemon->err().find("\"tsk_4f8w9n2b\" is not a task ID; the next pass reads every task's draft"),
            std::string::npos)
      << daemon->err();
  run_pass(*daemon);
  EXPECT_EQ(m_api.draft_requests(kTaskA), 2) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTaskB), 2) << daemon->err();
  ASSERT_TRUE(has_ref("drafts/" + kTaskA)) << daemon->err();
  ASSERT_TRUE(has_ref("drafts/" + kTaskB)) << daemon->err();
  EXPECT_TRUE(marked_healed("drafts/" + kTaskB)) << "the draft whose id the event named";
  EXPECT_FALSE(marked_healed("drafts/" + kTaskA));

  // Within the interval, another such event (a UUID no mirrored task has) waits for it.
  EXPECT_EQ(deliver(test::task_event("evt_heal_4", "task.healed", kUnmirrored)),
            "{\"event\":\"accepted\",\"drafts\":\"next pass\"}\n");
  run_pass(*daemon);
  EXPECT_EQ(m_api.draft_requests(kTaskA), 2) << "a second read of every draft within the interval";
  EXPECT_EQ(m_api.draft_requests(kTaskB), 2);
  EXPECT_EQ(m_api.requests(kUnmirrored), 0);
  stop(*daemon);
}

// With `tasks: all` a task excluded on purpose is known not to be mirrored; a task the list
// does not show may be one under another ID.
TEST_F(HealedTest, WithTasksAllAnExcludedTasksHealIsIgnoredAndAnUnlistedOnesReadsEveryDraft) {
  m_api.set_version(test::task_version(kUnmirrored, "1"));
  write_config("", "tasks: all\ntasks_exclude:\n  - " + kUnmirrored + "\n");
  auto daemon = start_after_first_pass();
  ASSERT_EQ(m_api.draft_requests(kTaskA), 1) << daemon->err();
  EXPECT_EQ(deliver(test::task_event("evt_heal_5", "task.healed", kUnmirrored)), "{\"event\":\"ignored\"}\n");
  run_pass(*daemon);
  EXPECT_EQ(m_api.draft_requests(kTaskA), 1) << daemon->err();

  const std::string unlisted = "6a6a6a6a-1111-4222-8333-444444444444";
  EXPECT_EQ(deliver(test::task_event("evt_heal_6", "task.healed", unlisted)),
            "{\"event\":\"accepted\",\"drafts\":\"next pass\"}\n");
  run_pass(*daemon);
  EXPECT_EQ(m_api.draft_requests(kTaskA), 2) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kTaskB), 2) << daemon->err();
  EXPECT_EQ(m_api.draft_requests(kUnmirrored), 0);
  EXPECT_EQ(m_api.draft_requests(unlisted), 0);
  stop(*daemon);
}

TEST_F(HealedTest, HooksAreToldTheRefOfABranchCommitADraftCommitAndARemovedDraft) {
  const auto log = m_dir / "hook.log";
  write_config(hook_logging_to(log));
  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// pending\n", kPersonsDraft));
  auto once = run_mode("--once");
  ASSERT_EQ(once.exit_code, 0) << once.err;
  const std::string first =
      hook_line("refs/heads/main", git_out({"rev-list", "-1", "main", "--", "tasks/" + kTaskA}), "1", kTaskA) +
      hook_line("refs/heads/main", git_out({"rev-list", "-1", "main", "--", "tasks/" + kTaskB}), "1", kTaskB) +
      hook_line("refs/heads/drafts/" + kTaskA, git_out({"rev-parse", "drafts/" + kTaskA}), "draft", kTaskA);
  EXPECT_EQ(test::read_text(log), first) << once.err;

  m_api.set_draft(kTaskA, std::nullopt);
  once = run_mode("--once");
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_FALSE(has_ref("drafts/" + kTaskA));
  EXPECT_EQ(test::read_text(log), first + hook_line("refs/heads/drafts/" + kTaskA, "", "", kTaskA)) << once.err;
}

// As a commit's hook, a draft's waits for the push; a draft branch that changed again meanwhile
// gets a hook for what it is, not for what it was.
TEST_F(HealedTest, ADraftsHookWaitsForAPushAndOneTheBranchOutgrewNeverRuns) {
  const auto log = m_dir / "hook.log";
  const auto remote = m_dir / "remote.git"; // not there yet: pushes fail
  write_config(hook_logging_to(log), kTasks, "  push:\n    remote: " + remote.string() + "\n", 1);
  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// first draft\n", kPersonsDraft));
  auto daemon = start_after_first_pass();
  ASSERT_TRUE(has_ref("drafts/" + kTaskA)) << daemon->err();
  const std::string outgrown = git_out({"rev-parse", "drafts/" + kTaskA});

  m_api.set_draft(kTaskA, test::draft_version(kTaskA, "// second draft\n", kPersonsDraft));
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", remote.string()}).exit_code, 0);
  run_pass(*daemon);
  const std::string draft_now = git_out({"rev-parse", "drafts/" + kTaskA});
  ASSERT_NE(draft_now, outgrown) << daemon->err();
  const std::string expected =
      hook_line("refs/heads/main", git_out({"rev-list", "-1", "main", "--", "tasks/" + kTaskA}), "1", kTaskA) +
      hook_line("refs/heads/main", git_out({"rev-list", "-1", "main", "--", "tasks/" + kTaskB}), "1", kTaskB) +
      hook_line("refs/heads/drafts/" + kTaskA, draft_now, "draft", kTaskA);
  EXPECT_TRUE(test::wait_until([&] { return test::read_text(log) == expected; }, 10s))
      << test::read_text(log) << daemon->err();
  EXPECT_NE(daemon->err().find("refs/heads/drafts/" + kTaskA +
                               " moved on before its hook ran; no hook runs for commit " + outgrown.substr(0, 12)),
            std::string::npos)
      << daemon->err();
  stop(*daemon);
}
