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
  EXPECT_EQ(commit_message(ChangeKind::added, example_info("checkout-flow")), "checkout-flow: add version 7" + trailers);
  EXPECT_EQ(commit_message(ChangeKind::deleted, example_info("checkout-flow")),
            "checkout-flow: delete (deleted upstream)" + trailers);
}
