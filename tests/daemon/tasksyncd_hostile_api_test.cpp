// Attacks on the real tasksyncd binary from the API's side and through its config file (issue 10):
// a server that trickles, a Retry-After that would stop a one-shot run, a config that is no file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-api-secret-9c1d";
const std::string kGood1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kHostile = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kGood2 = "0b8f1e2d-3c4a-4b5c-8d6e-7f8091a2b3c4";

// api.timeout_seconds in these tests.
constexpr auto kTimeout = 2s;
// What a one-shot run may take beyond the time its hostile task is allowed (start-up, the
// repository, the other tasks); far below what any of the attacks would cost without a bound.
constexpr auto kSlack = 2s;

// What the hostile task's server does, and a piece of the line that must say so.
struct Attack {
  std::string name;
  test::FakeApi::Reply reply;
  std::string expected;
};

// Names the attack in test output instead of dumping its bytes.
void PrintTo(const Attack &attack, std::ostream *out) { *out << attack.name; }

class HostileApiTest : public test::DaemonFixture {
protected:
  HostileApiTest() : DaemonFixture(kKey) {
    for (const auto &id : {kGood1, kHostile, kGood2})
      serve(id);
  }

  void write_config(const std::string &extra = "") {
    DaemonFixture::write_config({.timeout_seconds = static_cast<int>(kTimeout.count()),
                                 .api = extra,
                                 .rest = test::tasks_yaml({kGood1, kHostile, kGood2})});
  }

  // tasksyncd --config FILE --once, killed if it has not ended within `bound`.
  test::TasksyncdRun once(const std::filesystem::path &config, std::chrono::milliseconds bound) {
    return run({"--config", config.string(), "--once"}, {}, bound);
  }

  // --once with `attack` on the hostile task and `api_extra` in the config: it must end within
  // `bound` with exit 1, the line naming the task and the reason, and the others committed.
  void expect_only_that_task_fails(const Attack &attack, const std::string &api_extra,
                                   std::chrono::steady_clock::duration bound) {
    m_api.set_reply(kHostile, attack.reply);
    write_config(api_extra);
    const test::TasksyncdRun run = once(m_config, 20s);
    ASSERT_TRUE(run.exit_code) << "--once still running after 20 s with api.timeout_seconds: 2\n" << run.err;
    EXPECT_EQ(*run.exit_code, 1) << run.err;
    EXPECT_LT(run.took, bound) << "not bounded by api.timeout_seconds\n" << run.err;
    EXPECT_NE(run.err.find("error: task " + kHostile + ": " + attack.expected), std::string::npos) << run.err;
    expect_the_others_committed();
  }

  std::string tasks_in_head() { return git({"ls-tree", "--name-only", "HEAD:tasks"}).out; }

  // The healthy tasks were committed, nothing of the hostile one was written, the repository is clean.
  void expect_the_others_committed() {
    EXPECT_EQ(tasks_in_head(), kGood2 + "\n" + kGood1 + "\n") << "the other tasks must still be committed";
    EXPECT_FALSE(std::filesystem::exists(m_repo / "tasks" / kHostile));
    EXPECT_TRUE(test::repository_consistent(m_repo));
  }
};

class TricklingServerTest : public HostileApiTest, public ::testing::WithParamInterface<Attack> {};

std::vector<Attack> trickles() {
  const std::string body = test::task_version(kHostile).to_json();
  return {
      // ~120 bytes of status line and headers, 300 ms apart: ~36 s if nothing bounds the request.
      {"TrickledHeaders", {200, body, {}, {}, {}, 300ms}, "no complete response within 2 s"},
      // One-byte chunks, each byte of the framing (chunk-size lines too) 30 ms apart: ~90 s.
      {"TrickledChunkedBody", {200, body, {}, {}, 30ms, {}, true}, "no complete response within 2 s"},
  };
}

// Each hostile server and each Retry-After below is one task's problem: it fails alone, in one line.
std::vector<Attack> retry_afters() {
  const std::string slow_down = R"({"error":{"code":429,"message":"Too many requests"}})";
  const std::string limit = "longer than the 2 s (api.timeout_seconds) a run without a next pass waits";
  return {
      {"AnHour",
       {429, slow_down, {}, {{"Retry-After", "3600"}}},
       "HTTP 429: Too many requests (gave up after 1 attempt: the API asked to wait 3600 s, " + limit + ")"},
      {"TwoToTheSixtyThreeMinusOneSeconds",
       {429, slow_down, {}, {{"Retry-After", "9223372036854775807"}}},
       "HTTP 429: Too many requests (gave up after 1 attempt: the API asked to wait 31622400 s, " + limit + ")"},
      {"AnHttpDateInYear9999",
       {503, "", {}, {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}}},
       "HTTP 503: (empty body) (gave up after 1 attempt: the API asked to wait 31622400 s, " + limit + ")"},
      {"ARateLimitOfAnHour",
       {429, slow_down, {}, {{"RateLimit", "limit=100, remaining=0, reset=3600"}}},
       "HTTP 429: Too many requests (gave up after 1 attempt: the API asked to wait 3600 s, " + limit + ")"},
  };
}

class RetryAfterTest : public HostileApiTest, public ::testing::WithParamInterface<Attack> {};

} // namespace

TEST_P(TricklingServerTest, FailsThatTaskWithinTheTimeoutAndCommitsTheOthers) {
  expect_only_that_task_fails(GetParam(), "  retries: 0\n", 2 * kTimeout + kSlack);
}

INSTANTIATE_TEST_SUITE_P(HostileApi, TricklingServerTest, ::testing::ValuesIn(trickles()),
                         [](const auto &param_info) { return param_info.param.name; });

TEST_P(RetryAfterTest, OnceGivesUpOnAWaitLongerThanTheTimeoutAndCommitsTheOthers) {
  // One worker: the task after the hostile one is fetched only once the hostile one is done with.
  expect_only_that_task_fails(GetParam(), "  retries: 3\npoll:\n  concurrency: 1\n", kTimeout + kSlack);
  EXPECT_EQ(m_api.requests(kHostile), 1) << "no retry may go out before the wait the API asked for";
}

INSTANTIATE_TEST_SUITE_P(HostileApi, RetryAfterTest, ::testing::ValuesIn(retry_afters()),
                         [](const auto &param_info) { return param_info.param.name; });

// --config naming something that is not a regular file of sane size: exit 2 naming it and why, at once.
class ConfigFileTest : public HostileApiTest, public ::testing::WithParamInterface<std::string> {
protected:
  // The config path for the case, and the reason the message must give.
  std::pair<std::filesystem::path, std::string> make(const std::string &kind) {
    if (kind == "Fifo") {
      const auto fifo = m_dir / "fifo.yaml";
      EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
      return {fifo, "it is a FIFO, not a regular file"};
    }
    if (kind == "DevZero") return {"/dev/zero", "it is a character device, not a regular file"};
    if (kind == "Directory") return {m_dir.path(), "it is a directory, not a regular file"};
    // A valid config but for its size: 2 MiB of comment.
    write_config();
    test::write_text(m_dir / "big.yaml", test::read_text(m_config) + "# " + std::string(2 << 20, 'x') + "\n");
    return {m_dir / "big.yaml", "it is larger than 1 MiB (1048576 bytes), too large for a config file"};
  }
};

TEST_P(ConfigFileTest, IsAConfigErrorNamingThePathAndTheReason) {
  const auto [path, reason] = make(GetParam());
  const test::TasksyncdRun run = once(path, 10s);
  ASSERT_TRUE(run.exit_code) << "still running after 10 s\n" << run.err;
  EXPECT_EQ(*run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(path.string() + ": cannot read the config file: " + reason), std::string::npos) << run.err;
  EXPECT_EQ(m_api.requests(kGood1), 0);
  EXPECT_FALSE(std::filesystem::exists(m_repo));
}

INSTANTIATE_TEST_SUITE_P(HostileApi, ConfigFileTest, ::testing::Values("Fifo", "DevZero", "Directory", "TwoMebibytes"),
                         [](const auto &param_info) { return param_info.param; });
