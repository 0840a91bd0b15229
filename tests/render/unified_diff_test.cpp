#include "render/unified_diff.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

// unified_diff's text, which must not be an error.
std::string diff_text(const std::vector<FileChange> &changes, bool colour) {
  auto diff = unified_diff(changes, colour);
  EXPECT_TRUE(diff.ok()) << (diff.ok() ? "" : diff.error().message);
  return diff.ok() ? *diff : "";
}

// What git itself prints for `changes`: the before side committed in a scratch repository, the
// after side staged, then `git diff --cached`. (`git diff --no-index` cannot show one path on
// both sides.) Trailing-whitespace highlighting is off, as unified_diff does not do it.
std::string git_diff(const std::vector<FileChange> &changes, bool colour) {
  test::TempDir dir;
  const test::EnvChanges env{{"GIT_CONFIG_GLOBAL", "/dev/null"}, {"GIT_CONFIG_NOSYSTEM", "1"}};
  const auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", dir.path().string()});
    const test::ProcessResult result = test::run_process(args, env);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  };
  git({"init", "-q"});
  for (const FileChange &change : changes) {
    if (change.before) test::write_text(dir / change.path, *change.before);
  }
  git({"add", "-A"});
  git({"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "before"});
  for (const FileChange &change : changes) {
    if (change.after)
      test::write_text(dir / change.path, *change.after);
    else
      std::filesystem::remove(dir / change.path);
  }
  git({"add", "-A"});
  return git(
      {"diff", "--cached", "--no-renames", "--ws-error-highlight=none", colour ? "--color=always" : "--no-color"});
}

void expect_like_git(const std::vector<FileChange> &changes) {
  const std::string plain = diff_text(changes, false);
  EXPECT_FALSE(plain.empty());
  EXPECT_EQ(plain, git_diff(changes, false));
  EXPECT_EQ(diff_text(changes, true), git_diff(changes, true));
}

std::string numbered_lines(int count) {
  std::string text = "export async function run(page) {\n";
  for (int i = 1; i <= count; ++i)
    text += "  await step(" + std::to_string(i) + ");\n";
  return text + "}\n";
}

const std::string code_path = "tasks/3c90c3cc-0d44-4b50-8888-8dd25736052a/task.ts";
const std::string json_path = "tasks/3c90c3cc-0d44-4b50-8888-8dd25736052a/task.json";

} // namespace

TEST(UnifiedDiffTest, NoChangesGiveNothing) {
  EXPECT_EQ(diff_text({}, false), "");
  EXPECT_EQ(diff_text({}, true), "");
  EXPECT_EQ(diff_text({{code_path, "same\n", "same\n"}}, true), "");
  EXPECT_EQ(diff_text({{code_path, std::nullopt, std::nullopt}}, false), "");
}

TEST(UnifiedDiffTest, AnAddedFileInGitsFormat) {
  const std::vector<FileChange> changes{{code_path, std::nullopt, "one\ntwo\n"}};
  const std::vector<std::string> header{"diff --git a/" + code_path + " b/" + code_path, "new file mode 100644",
                                        "index 0000000..814f4a4", "--- /dev/null", "+++ b/" + code_path};
  std::string plain;
  std::string coloured;
  for (const std::string &line : header) {
    plain += line + "\n";
    coloured += "\033[1m" + line + "\033[m\n";
  }
  plain += "@@ -0,0 +1,2 @@\n+one\n+two\n";
  coloured += "\033[36m@@ -0,0 +1,2 @@\033[m\n\033[32m+one\033[m\n\033[32m+two\033[m\n";
  EXPECT_EQ(diff_text(changes, false), plain);
  EXPECT_EQ(diff_text(changes, true), coloured);
  expect_like_git(changes);
}

TEST(UnifiedDiffTest, ADeletedFileLikeGit) {
  const std::string removed = "tasks/5f0e2a51-8a3b-4c1d-9e2f-0123456789ab/task.ts";
  const std::vector<FileChange> changes{{removed, "gone\n", std::nullopt}};
  EXPECT_NE(diff_text(changes, false).find("deleted file mode 100644\n"), std::string::npos);
  EXPECT_NE(diff_text(changes, false).find("+++ /dev/null\n"), std::string::npos);
  expect_like_git(changes);
}

TEST(UnifiedDiffTest, EmptyFilesAddedAndDeletedLikeGit) {
  expect_like_git({{"tasks/a/empty.txt", std::nullopt, ""}, {"tasks/b/empty.txt", "", std::nullopt}});
}

TEST(UnifiedDiffTest, ModificationsWithSeveralHunksLikeGit) {
  std::string after = numbered_lines(40);
  after.replace(after.find("step(3)"), 7, "step(33)");
  after.replace(after.find("  await step(30);\n"), 18, "");
  after += "\n// trailer\n";
  expect_like_git({{code_path, numbered_lines(40), after}});
}

TEST(UnifiedDiffTest, SeveralFilesInTheOrderGiven) {
  expect_like_git({
      {json_path, "{\n  \"version\": \"6\"\n}\n", "{\n  \"version\": \"7\"\n}\n"},
      {code_path, numbered_lines(5), numbered_lines(6)},
      {"tasks/5f0e2a51-8a3b-4c1d-9e2f-0123456789ab/task.js", std::nullopt, "run();\n"},
  });
}

TEST(UnifiedDiffTest, NoNewlineAtEndOfFileLikeGit) {
  expect_like_git({{code_path, "x", "y"}});
  expect_like_git({{code_path, "a\nb", "a\nb\n"}});
  expect_like_git({{code_path, "a\nb\n", "a\nb"}});
  expect_like_git({{code_path, std::nullopt, "no newline"}});
  EXPECT_NE(diff_text({{code_path, "x", "y"}}, false).find("-x\n\\ No newline at end of file\n+y\n"),
            std::string::npos);
}

TEST(UnifiedDiffTest, BinaryContentLikeGit) {
  expect_like_git({{code_path, std::string("a\0b", 3), std::string("a\0c", 3)}});
}

TEST(UnifiedDiffTest, ControlBytesOfTheContentsAreShownEscapedTabsKept) {
  const std::vector<FileChange> changes{
      {code_path, "// title\n\tkeep();\n", "// \x1b]0;pwned\x07 title\x1b[2J\r\n\tkeep();\x7f\xc2\x9b\n"}};
  const std::string plain = diff_text(changes, false);
  EXPECT_NE(plain.find("-// title\n-\tkeep();\n+// \\x1b]0;pwned\\x07 title\\x1b[2J\\x0d\n+\tkeep();\\x7f\\xc2\\x9b\n"),
            std::string::npos)
      << plain;
  EXPECT_EQ(plain.find_first_of(std::string("\x1b\x07\r\x7f", 4)), std::string::npos) << plain;

  // In colour, the only escape sequences left are the colours themselves.
  std::string coloured = diff_text(changes, true);
  for (const std::string colour : {"\033[1m", "\033[36m", "\033[31m", "\033[32m", "\033[m"}) {
    for (auto at = coloured.find(colour); at != std::string::npos; at = coloured.find(colour, at)) {
      coloured.erase(at, colour.size());
    }
  }
  EXPECT_EQ(coloured, plain);
}
