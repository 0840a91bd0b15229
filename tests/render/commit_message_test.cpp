#include "render/commit_message.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

using namespace tasksync;

namespace {

CommitInfo example_info(std::string label) {
  return {"3c90c3cc-0d44-4b50-8888-8dd25736052a", std::move(label), "7", "2026-11-20T14:31:07Z", {1795185067, 0}};
}

} // namespace

TEST(CommitMessage, MatchesTheWorkedExample) {
  EXPECT_EQ(commit_message(ChangeKind::updated, example_info("3c90c3cc-0d44-4b50-8888-8dd25736052a")),
            test::read_text(TASKSYNC_TEST_DATA "/example/commit-message.txt"));
}

TEST(CommitMessage, SubjectsForAddAndDeleteUseTheLabel) {
  const std::string trailers = "\n\nTask-Id: 3c90c3cc-0d44-4b50-8888-8dd25736052a\nTask-Version: 7\n"
                               "Task-Updated-At: 2026-11-20T14:31:07Z\n";
  EXPECT_EQ(commit_message(ChangeKind::added, example_info("checkout-flow")),
            "checkout-flow: add version 7" + trailers);
  EXPECT_EQ(commit_message(ChangeKind::deleted, example_info("checkout-flow")),
            "checkout-flow: delete (deleted upstream)" + trailers);
}

TEST(CommitMessage, NoLabelCanForgeATrailerOrBreakTheSubject) {
  // A directory's name, or a name from the config or the API, holding line breaks and trailers.
  const std::string forged = "x\n\nTask-Id: 00000000-0000-0000-0000-000000000000\nTask-Version: 999";
  CommitInfo info = example_info(forged);
  info.updated_at = "2026-11-20T14:31:07Z\nTask-Id: 00000000-0000-0000-0000-000000000000";
  const std::string message = commit_message(ChangeKind::deleted, info);
  EXPECT_EQ(message, "x\\x0a\\x0aTask-Id: 00000000-0000-0000-0000-000000000000\\x0aTask-Version: 999: delete "
                     "(deleted upstream)\n\nTask-Id: 3c90c3cc-0d44-4b50-8888-8dd25736052a\nTask-Version: 7\n"
                     "Task-Updated-At: 2026-11-20T14:31:07Z\\x0aTask-Id: 00000000-0000-0000-0000-000000000000\n");
  for (const char control : {'\r', '\t', '\x1b', '\x7f', '\v', '\f'}) {
    const std::string subject = commit_message(ChangeKind::added, example_info(std::string("a") + control + "b"));
    EXPECT_EQ(subject.find(control), std::string::npos) << static_cast<int>(control);
  }
}

TEST(CommitMessage, AUrlInALabelLosesItsUserinfo) {
  EXPECT_EQ(
      commit_message(ChangeKind::added, example_info("deploy via https://bot:SECRET@git.example/x.git")).substr(0, 64),
      "deploy via https://bot:<redacted>@git.example/x.git: add version");
}

TEST(CommitMessage, ARollbackARewriteAndUnavailableVersionsSayWhatHappenedInSubjectAndTrailers) {
  const std::string trailers = "\n\nTask-Id: 3c90c3cc-0d44-4b50-8888-8dd25736052a\nTask-Version: 7\n"
                               "Task-Updated-At: 2026-11-20T14:31:07Z\n";
  CommitInfo rollback = example_info("checkout-flow");
  rollback.rollback_from = "9";
  EXPECT_EQ(commit_message(ChangeKind::updated, rollback),
            "checkout-flow: roll back to version 7 (was 9)" + trailers + "Task-Rollback-From: 9\n");
  CommitInfo rewritten = example_info("checkout-flow");
  rewritten.rewritten = true;
  EXPECT_EQ(commit_message(ChangeKind::updated, rewritten),
            "checkout-flow: version 7 changed upstream without a new version number" + trailers +
                "Task-Anomaly: version-rewritten\n");
  CommitInfo gap = example_info("checkout-flow");
  gap.unavailable = {"5", "6\nTask-Id: x"};
  EXPECT_EQ(commit_message(ChangeKind::updated, gap),
            "checkout-flow: update to version 7" + trailers + "Task-Versions-Unavailable: 5 6\\x0aTask-Id: x\n");
}

TEST(CommitMessage, ADraftSaysWhatItIsBasedOnAndWhetherTheAgentWroteIt) {
  DraftInfo info{"3c90c3cc-0d44-4b50-8888-8dd25736052a", "checkout-flow", "d1", "7", "2026-11-25T09:00:00Z", false};
  EXPECT_EQ(draft_commit_message(info), "checkout-flow: draft based on version 7\n\nTask-Id: "
                                        "3c90c3cc-0d44-4b50-8888-8dd25736052a\nTask-Draft-Id: d1\nTask-Draft-Base: 7\n"
                                        "Task-Updated-At: 2026-11-25T09:00:00Z\n");
  info.base_version.clear();
  info.healed = true;
  info.draft_id = "d1\nTask-Healed: true";
  EXPECT_EQ(draft_commit_message(info),
            "checkout-flow: draft of a new task\n\nTask-Id: "
            "3c90c3cc-0d44-4b50-8888-8dd25736052a\nTask-Draft-Id: d1\\x0aTask-Healed: true\n"
            "Task-Updated-At: 2026-11-25T09:00:00Z\nTask-Healed: true\n");
}
