// Attacks on the real tasksyncd binary (issue 20): an API key file that is a device or a FIFO, a
// URL's secret in a task's name or language, and a daemon whose memory could be dumped or read.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_fixture.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-secrets2-key-31f7";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
// A URL's password in a task's name, in its language, and in its description.
const std::string kNameSecret = "name-secret-marker-5511";
const std::string kLanguageSecret = "language-secret-marker-5512";
const std::string kDescriptionSecret = "description-secret-marker-5513";

class HostileSecrets2Test : public test::DaemonFixture {
protected:
  HostileSecrets2Test() : DaemonFixture(kKey) {}

  void write_config(const std::string &api_extra, const std::string &rest, const std::string &tasks) {
    DaemonFixture::write_config({.api = "  retries: 0\n" + api_extra,
                                 .top = "poll:\n  interval_seconds: 1\n",
                                 .rest = rest + "tasks:" + tasks + "\n"});
  }
};

// One field of the line of /proc/PID/status or /proc/PID/limits that starts with `label`.
std::vector<std::string> proc_fields(pid_t pid, const std::string &file, const std::string &label) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(label, 0) != 0) continue;
    std::istringstream rest(line.substr(label.size()));
    std::vector<std::string> fields;
    for (std::string field; rest >> field;)
      fields.push_back(field);
    return fields;
  }
  return {};
}

} // namespace

// api.api_key_file naming something that is no regular file of a secret's size: the key's error
// (exit 3, as for an unreadable key file), naming the file and what it is, at once: /dev/zero was
// read until memory ran out (std::bad_alloc, exit 134) and a FIFO held the start for good.
class ApiKeyFileTest : public HostileSecrets2Test, public ::testing::WithParamInterface<std::string> {
protected:
  // The key file for the case, and the reason the message must give.
  std::pair<std::filesystem::path, std::string> make(const std::string &kind) {
    if (kind == "Fifo") {
      const auto fifo = m_dir / "key-fifo";
      EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
      return {fifo, "it is a FIFO, not a regular file"};
    }
    if (kind == "DevZero") return {"/dev/zero", "it is a character device, not a regular file"};
    test::write_text(m_dir / "big-key", std::string(1 << 20, 'k'));
    return {m_dir / "big-key", "it is larger than 4 KiB (4096 bytes), too large for a secret"};
  }
};

TEST_P(ApiKeyFileTest, IsTheKeysErrorNamingTheFileAndWhyAtOnce) {
  const auto [key_file, reason] = make(GetParam());
  write_config("  api_key_file: " + key_file.string() + "\n", "", "\n  - " + kTask);
  for (const std::string mode : {"--once", "--check-config"}) {
    const test::TasksyncdRun run = run_mode(mode, {}, 20s);
    ASSERT_TRUE(run.exit_code) << mode << " still running after 20 s\n" << run.err;
    EXPECT_EQ(*run.exit_code, 3) << mode << "\n" << run.err;
    EXPECT_NE(run.err.find("cannot read the API key from file " + key_file.string() + ": " + reason), std::string::npos)
        << mode << "\n"
        << run.err;
  }
  EXPECT_EQ(m_api.requests(kTask), 0);
  EXPECT_FALSE(std::filesystem::exists(m_repo));
}

INSTANTIATE_TEST_SUITE_P(HostileSecrets2, ApiKeyFileTest, ::testing::Values("Fifo", "DevZero", "OneMebibyte"),
                         [](const auto &param_info) { return param_info.param; });

// A URL's secret in a task's name (from GET /v1/task/{id}, or from the list with `tasks: all`),
// its language and its description: docs/repository-format.md promises every URL in any string loses its userinfo
// before anything is rendered, yet the name went into the commit subject and the language into
// task.json as they were.
class UrlInNameTest : public HostileSecrets2Test, public ::testing::WithParamInterface<std::string> {};

TEST_P(UrlInNameTest, ReachesNoCommitFileLogHookOrMetrics) {
  test::FakeVersion version = test::task_version(kTask);
  version.language = "https://lang:" + kLanguageSecret + "@git.example/x.git";
  version.description = "see https://doc:" + kDescriptionSecret + "@wiki.example/page";
  m_api.set_version(version);
  m_api.set_name(kTask, "deploy via https://bot:" + kNameSecret + "@git.example/x.git");

  const std::filesystem::path hook_file = m_dir / "hook.txt";
  const std::filesystem::path hook = m_dir / "hook.sh";
  test::write_text(hook, "{ env; echo \"args: $*\"; } >> '" + hook_file.string() + "'\n");
  const int port = test::free_port();
  write_config("",
               "hooks:\n  on_change: [/bin/sh, " + hook.string() +
                   "]\nhttp:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n",
               GetParam() == "All" ? " all" : "\n  - " + kTask);

  const test::TasksyncdRun dry = run_mode("--dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  const auto daemon = start({"--log-level", "debug"});
  ASSERT_TRUE(wait_for_commits(1, 20s)) << daemon->err();
  ASSERT_TRUE(test::wait_until([&] { return !test::read_text(hook_file).empty(); }, 20s)) << daemon->err();
  httplib::Client client("127.0.0.1", port);
  std::string metrics;
  std::string health;
  ASSERT_TRUE(test::wait_until(
      [&] {
        const httplib::Result answer = client.Get("/metrics");
        if (answer && answer->status == 200) metrics = answer->body;
        return metrics.find("tasksync_commits_total") != std::string::npos;
      },
      10s))
      << daemon->err();
  if (const httplib::Result answer = client.Get("/healthz")) health = answer->body;
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));

  std::string repository = git({"log", "--all", "-p", "--format=%H%n%B"}).out;
  for (const auto &entry : std::filesystem::recursive_directory_iterator(m_repo)) {
    if (entry.path().string().find("/.git") == std::string::npos && entry.is_regular_file()) {
      repository += test::read_text(entry.path());
    }
  }
  const std::string subject = git({"log", "-1", "--format=%s"}).out;
  EXPECT_EQ(subject, "deploy via https://bot:<redacted>@git.example/x.git: add version 1\n");
  const std::string sidecar = test::read_text(m_repo / "tasks" / kTask / "task.json");
  EXPECT_NE(sidecar.find(R"("language": "https://lang:<redacted>@git.example/x.git")"), std::string::npos) << sidecar;
  const std::vector<std::pair<std::string, std::string>> places{{"the repository", repository},
                                                                {"--dry-run's output", dry.out},
                                                                {"the log", dry.err + daemon->err()},
                                                                {"the hook's environment", test::read_text(hook_file)},
                                                                {"/metrics", metrics},
                                                                {"/healthz", health}};
  for (const auto &[where, text] : places) {
    for (const std::string &secret : {kNameSecret, kLanguageSecret, kDescriptionSecret, kKey}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " reached " << where << ":\n" << text;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(HostileSecrets2, UrlInNameTest, ::testing::Values("ById", "All"),
                         [](const auto &param_info) { return param_info.param; });

// With `ulimit -c unlimited` a crash wrote a 154 MiB core holding the API key: the daemon must
// run with no core limit left (RLIMIT_CORE 0, soft and hard) and not dumpable, which also makes
// its /proc files root's: another user (the daemon's own included) can read neither its memory
// nor its environment. As root the daemon runs as nobody here, so that ownership can be seen.
TEST_F(HostileSecrets2Test, TheDaemonCannotDumpCoreNorBeReadByItsOwnUser) {
  m_api.set_version(test::task_version(kTask));
  const int port = test::free_port();
  // As nobody, the daemon must reach the config and make its repository.
  std::filesystem::permissions(m_dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                 std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_read |
                                                 std::filesystem::perms::others_exec);
  const std::filesystem::path state = m_dir / "state";
  std::filesystem::create_directory(state);
  std::filesystem::permissions(state, std::filesystem::perms::all);
  m_repo = state / "mirror";
  write_config("", "http:\n  listen: 127.0.0.1:" + std::to_string(port) + "\n", "\n  - " + kTask);

  // The core limit the daemon would inherit: as high as this process may set it.
  rlimit core{};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &core), 0);
  const std::string hard = core.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(core.rlim_max);
  std::vector<std::string> argv{"prlimit", "--core=" + hard + ":" + hard};
  if (::geteuid() == 0) argv.insert(argv.end(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  argv.insert(argv.end(), {test::tasksyncd_binary(), "--config", m_config.string()});
  test::ChildProcess daemon(argv, test::tasksyncd_environment(m_key, {{"HOME", state.string()}}));
  httplib::Client client("127.0.0.1", port);
  ASSERT_TRUE(test::wait_until(
      [&] {
        const httplib::Result answer = client.Get("/healthz");
        return answer && answer->status == 200;
      },
      20s))
      << daemon.err();

  EXPECT_EQ(proc_fields(daemon.pid(), "limits", "Max core file size"), (std::vector<std::string>{"0", "0", "bytes"}))
      << "inherited " << hard;
  const std::vector<std::string> uids = proc_fields(daemon.pid(), "status", "Uid:");
  ASSERT_FALSE(uids.empty());
  ASSERT_NE(uids[0], "0") << "the daemon must run as another user than root for its /proc files to tell";
  struct stat environment {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(daemon.pid()) + "/environ").c_str(), &environment), 0);
  EXPECT_EQ(environment.st_uid, 0u) << "/proc/PID/environ belongs to the daemon's user " << uids[0]
                                    << ": it is dumpable, and its user can read its memory and environment";
  EXPECT_TRUE(test::stop_tasksyncd(daemon));
}
