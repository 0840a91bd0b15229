// Integration tests of what the real tasksyncd writes where a person or journald reads it: a
// terminal (the backfill's progress line, colour), the journal's stream, and the dates and
// messages it puts in front of them.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "base/log.hpp"
#include "daemon_fixture.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-output-secret-4242";

class OutputTest : public test::DaemonFixture {
protected:
  OutputTest() : DaemonFixture(kKey) { write_config({test::numbered_task_id(1), test::numbered_task_id(2)}); }

  void write_config(const std::vector<std::string> &tasks) {
    DaemonFixture::write_config({.api = "  retries: 0\n", .rest = test::tasks_yaml(tasks)});
  }

  test::TasksyncdRun on_terminal(const std::vector<std::string> &args, const test::EnvChanges &env = {}) {
    return test::run_tasksyncd_on_terminal(args, test::tasksyncd_environment(m_key, env));
  }
};

// The positions of the log lines ("2026-11-28T20:18:05Z info: ...") in `output`.
std::vector<std::size_t> log_line_starts(const std::string &output) {
  std::vector<std::size_t> starts;
  for (const std::string level : {"Z error: ", "Z warning: ", "Z info: "}) {
    for (std::size_t at = output.find(level); at != std::string::npos; at = output.find(level, at + 1)) {
      if (at >= 19) starts.push_back(at - 19); // the 19 characters of the date and time before "Z"
    }
  }
  return starts;
}

} // namespace

// On a terminal the backfill shows a progress line that it rewrites in place; a log line written
// meanwhile (each task's "imported N versions") must start a line of its own, with the progress
// line erased first, never appended to it.
TEST_F(OutputTest, BackfillsProgressLineNeverRunsIntoALogLine) {
  for (int task = 1; task <= 2; ++task) {
    for (const std::string version : {"1", "2"}) {
      test::FakeVersion old = test::task_version(test::numbered_task_id(task), version);
      old.created_at = "2026-10-0" + version + "T00:00:00Z";
      m_api.set_version(old);
    }
  }
  const auto run = on_terminal({"--config", m_config.string(), "--backfill"});
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::string &shown = run.out;
  ASSERT_NE(shown.find("backfill: task 2 of 2 (" + test::numbered_task_id(2) + "), version 2 of 2"), std::string::npos)
      << shown;
  const auto starts = log_line_starts(shown);
  ASSERT_GE(starts.size(), 3u) << shown; // two "imported" lines and the backfill's summary at least
  for (const std::size_t start : starts) {
    const bool after_line_end = start == 0 || shown[start - 1] == '\n';
    const bool after_erased_line = start >= 4 && shown.compare(start - 4, 4, "\r\033[K") == 0;
    EXPECT_TRUE(after_line_end || after_erased_line)
        << "a log line runs on from what was before it: "
        << escape_controls(shown.substr(start >= 80 ? start - 80 : 0, 120));
  }
}

// --dry-run's diff is coloured on a terminal, but not when NO_COLOR is set to anything
// (https://no-color.org) or the terminal is TERM=dumb.
TEST_F(OutputTest, NoColorAndADumbTerminalGetNoColour) {
  serve(test::numbered_task_id(1), "1");
  serve(test::numbered_task_id(2), "1");
  ASSERT_EQ(run({"--config", m_config.string(), "--once"}).exit_code, 0);
  serve(test::numbered_task_id(1), "2");
  const std::vector<std::string> dry_run = {"--config", m_config.string(), "--dry-run"};
  const auto coloured = on_terminal(dry_run, {{"TERM", "xterm"}, {"NO_COLOR", std::nullopt}});
  ASSERT_EQ(coloured.exit_code, 0) << coloured.out;
  EXPECT_NE(coloured.out.find("\033[32m+// " + test::numbered_task_id(1) + " version 2"), std::string::npos)
      << "a terminal shows the diff in colour: " << escape_controls(coloured.out);
  const auto empty_no_color = on_terminal(dry_run, {{"TERM", "xterm"}, {"NO_COLOR", ""}});
  EXPECT_NE(empty_no_color.out.find("\033[32m"), std::string::npos) << "an empty NO_COLOR disables nothing";
  for (const test::EnvChanges &env : {test::EnvChanges{{"TERM", "xterm"}, {"NO_COLOR", "1"}},
                                      test::EnvChanges{{"TERM", "dumb"}, {"NO_COLOR", std::nullopt}}}) {
    const auto plain = on_terminal(dry_run, env);
    ASSERT_EQ(plain.exit_code, 0) << plain.out;
    EXPECT_NE(plain.out.find("+// " + test::numbered_task_id(1) + " version 2"), std::string::npos) << plain.out;
    EXPECT_EQ(plain.out.find('\033'), std::string::npos)
        << "TERM=" << env.at("TERM").value_or("") << " NO_COLOR=" << env.at("NO_COLOR").value_or("(unset)") << ": "
        << escape_controls(plain.out);
  }
}

// $JOURNAL_STREAM switches the log to sd-daemon priority prefixes only when stderr is the stream
// it names ("DEVICE:INODE"), as systemd documents: a variable inherited by a process whose
// stderr goes elsewhere keeps the plain format.
TEST_F(OutputTest, JournalStreamIsTrustedOnlyWhenStderrIsThatStream) {
  serve(test::numbered_task_id(1), "1");
  serve(test::numbered_task_id(2), "1");
  const auto log_file = m_dir / "stderr.log";
  const auto other_file = m_dir / "other";
  test::write_text(log_file, "");
  test::write_text(other_file, "");
  const auto stream_of = [](const std::filesystem::path &file) {
    struct stat status {};
    EXPECT_EQ(::stat(file.c_str(), &status), 0);
    return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
  };
  // stderr appended to log_file by the shell, so its device and inode are known beforehand.
  const auto run_logging = [&](const std::string &journal_stream) {
    test::write_text(log_file, "");
    const auto result = test::run_process({"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>>" + log_file.string(),
                                           TASKSYNCD_PATH, "--config", m_config.string(), "--once"},
                                          test::tasksyncd_environment(m_key, {{"JOURNAL_STREAM", journal_stream}}));
    EXPECT_EQ(result.exit_code, 0) << test::read_text(log_file);
    return test::read_text(log_file);
  };
  const std::string journal = run_logging(stream_of(log_file));
  EXPECT_TRUE(journal.starts_with("<6>")) << journal;
  EXPECT_TRUE(log_line_starts(journal).empty()) << journal;
  for (const std::string &elsewhere : {stream_of(other_file), std::string("garbage"), std::string("")}) {
    const std::string plain = run_logging(elsewhere);
    EXPECT_EQ(plain.find("<6>"), std::string::npos) << "JOURNAL_STREAM=" << elsewhere << "\n" << plain;
    EXPECT_FALSE(log_line_starts(plain).empty()) << "JOURNAL_STREAM=" << elsewhere << "\n" << plain;
  }
}

// Git cannot hold a commit date before 1970 (libgit2 1.5.1 writes it as unsigned, so 1960 became
// 2096): the author date is clamped to 1970-01-01T00:00:00Z, logged naming the task, and the
// API's date stays in task.json and the Task-Updated-At trailer.
TEST_F(OutputTest, AnUpdatedAtBefore1970IsClampedTo1970) {
  test::FakeVersion old = test::task_version(test::numbered_task_id(1), "1");
  old.created_at = "1960-01-01T00:00:00Z";
  old.updated_at = "1960-06-15T12:00:00Z";
  m_api.set_version(old);
  serve(test::numbered_task_id(2), "1");
  const auto result = run({"--config", m_config.string(), "--once"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning: task " + test::numbered_task_id(1) +
                            ": updatedAt 1960-06-15T12:00:00Z is before 1970, which a git commit date cannot hold; "
                            "the author date is 1970-01-01T00:00:00Z"),
            std::string::npos)
      << result.err;
  const auto log = git(
      {"log", "--format=%at %(trailers:key=Task-Updated-At,valueonly)", "--", "tasks/" + test::numbered_task_id(1)});
  EXPECT_EQ(log.out, "0 1960-06-15T12:00:00Z\n\n") << log.err;
  EXPECT_NE(test::read_text(m_repo / "tasks" / test::numbered_task_id(1) / "task.json")
                .find("\"updatedAt\": \"1960-06-15T12:00:00Z\""),
            std::string::npos);
  EXPECT_EQ(git({"fsck", "--strict"}).exit_code, 0);
}

// tasksyncd(8): `--config` naming a directory is a config error saying so, for --check-config too.
TEST_F(OutputTest, ConfigNamingADirectorySaysItIsADirectory) {
  for (const std::string mode : {"--check-config", "--once"}) {
    const auto result = run({"--config", m_dir.path().string(), mode});
    EXPECT_EQ(result.exit_code, 2) << mode << "\n" << result.err;
    EXPECT_NE(
        result.err.find(m_dir.path().string() + ": cannot read the config file: it is a directory, not a regular file"),
        std::string::npos)
        << mode << "\n"
        << result.err;
    EXPECT_EQ(result.err.find("empty"), std::string::npos) << mode << "\n" << result.err;
  }
}
