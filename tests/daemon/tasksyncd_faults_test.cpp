// Fault injection against the real tasksyncd binary: every failure is isolated to its task,
// explained in one line, leaves the repository valid, and never shows the API key.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"
#include "test_pki.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

class SmallFilesystem;

namespace {

const std::string kKey = "sk-fault-secret-7f3a";
const std::string kGood1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kFaulty = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kGood2 = "0b8f1e2d-3c4a-4b5c-8d6e-7f8091a2b3c4";

// A response body: a valid one with `from` replaced by `to`.
std::string edited(const std::string &from, const std::string &to) {
  std::string body = test::task_version(kFaulty).to_json();
  const auto at = body.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return body.replace(at, from.size(), to);
}

// One injected fault: what the fake API answers for kFaulty, and a piece of the log line.
struct Fault {
  std::string name;
  std::vector<test::FakeApi::Reply> replies;
  std::string expected;
};

// Names the fault in test output instead of dumping its bytes.
void PrintTo(const Fault &fault, std::ostream *out) { *out << fault.name; }

std::vector<Fault> response_faults() {
  const std::string valid = test::task_version(kFaulty).to_json();
  return {
      {"MalformedJson", {{200, "{\"data\": {\"id\": ", {}}}, "invalid response: malformed JSON"},
      {"TruncatedJson", {{200, valid.substr(0, valid.size() - 7), {}}}, "invalid response: malformed JSON"},
      {"NotJson", {{200, "<html>maintenance</html>", {}}}, "invalid response: malformed JSON at offset 0"},
      {"MissingField",
       {{200, edited("\"deleted\":false,", ""), {}}},
       "invalid response: data.deleted: missing required field"},
      {"WrongType",
       {{200, edited("\"deleted\":false", "\"deleted\":\"no\""), {}}},
       "invalid response: data.deleted: expected true or false"},
      {"OtherTask", {{200, edited(kFaulty, kGood1), {}}}, "invalid response: data.taskId: the response is for task"},
      {"InvalidBase64",
       {{200, edited("\"code\":\"", "\"code\":\"!!"), {}}},
       "invalid response: data.code: invalid base64"},
      {"InvalidUtf8", {{200, edited("a task", "a \xc3\x28 task"), {}}}, "invalid response: malformed JSON"},
      {"AbsurdNesting",
       {{200,
         edited("\"initial_url\"", "\"deep\":" + std::string(200, '[') + std::string(200, ']') + ",\"initial_url\""),
         {}}},
       "invalid response: JSON nests deeper than 64 levels"},
      {"Oversized",
       {{200, edited("\"code\":\"", "\"code\":\"" + std::string(8192, 'A')), {}}},
       "response larger than 4096 bytes"},
      {"NotFound",
       {{404, R"({"error":{"code":404,"message":"Task or version not found"}})", {}}},
       "HTTP 404: Task or version not found"},
      {"BadRequest", {{400, R"({"error":{"code":400,"message":"Invalid task id"}})", {}}}, "HTTP 400: Invalid task id"},
      {"ServerError",
       {{500, R"({"error":{"code":500,"message":"Failed to retrieve task version"}})", {}}},
       "HTTP 500: Failed to retrieve task version (gave up after 2 attempts)"},
      {"Trickle", {{200, valid, {}, {}, 100ms}}, "no complete response within 1 s"},
      {"NoAnswer", {{200, valid, 10s}}, "no complete response within 1 s"},
  };
}

class FaultTest : public test::DaemonFixture {
protected:
  FaultTest() : DaemonFixture(kKey) {
    for (const auto &id : {kGood1, kFaulty, kGood2})
      serve(id);
  }

  void write_config(const std::string &base_url, const std::string &api_extra = "") {
    DaemonFixture::write_config({.base_url = base_url,
                                 .timeout_seconds = 1,
                                 .api = "  retries: 1\n  max_response_bytes: 4096\n" + api_extra,
                                 .rest = test::tasks_yaml({kGood1, kFaulty, kGood2})});
  }

  // A run with `key` as the API key.
  test::TasksyncdRun once(const std::string &key = kKey) {
    return DaemonFixture::once({{"ANCHORBROWSER_API_KEY", key}});
  }

  // Points the repository at `disk` and mirrors the tasks there once (defined after SmallFilesystem).
  void mirror_onto(const SmallFilesystem &disk);

  std::string tasks_in_head() { return git({"ls-tree", "--name-only", "HEAD:tasks"}).out; }

  // The repository is consistent and no commit holds the API key.
  void expect_consistent() {
    EXPECT_TRUE(test::repository_consistent(m_repo));
    EXPECT_EQ(git({"log", "-p"}).out.find(kKey), std::string::npos);
  }
};

class ResponseFaultTest : public FaultTest, public ::testing::WithParamInterface<Fault> {};

} // namespace

TEST_P(ResponseFaultTest, FailsOnlyThatTaskAndSaysWhy) {
  const Fault &fault = GetParam();
  m_api.set_replies(kFaulty, fault.replies);
  write_config(m_api.base_url());
  auto result = once();
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("error: task " + kFaulty + ": " + fault.expected), std::string::npos) << result.err;
  EXPECT_EQ(tasks_in_head(), kGood2 + "\n" + kGood1 + "\n") << "the other tasks must still be synced";
  EXPECT_FALSE(std::filesystem::exists(m_repo / "tasks" / kFaulty)) << "nothing of a failed task is written";
  expect_consistent();
}

INSTANTIATE_TEST_SUITE_P(Faults, ResponseFaultTest, ::testing::ValuesIn(response_faults()),
                         [](const auto &param_info) { return param_info.param.name; });

TEST_F(FaultTest, AFailureKeepsWhatWasMirroredBefore) {
  write_config(m_api.base_url());
  ASSERT_EQ(once().exit_code, 0);
  const std::string before = test::read_text(m_repo / "tasks" / kFaulty / "task.ts");
  m_api.set_reply(kFaulty, {200, edited("\"code\":\"", "\"code\":\"%%"), {}});
  EXPECT_EQ(once().exit_code, 1);
  EXPECT_EQ(test::read_text(m_repo / "tasks" / kFaulty / "task.ts"), before);
  EXPECT_EQ(git({"rev-list", "--count", "HEAD"}).out, "3\n");
  expect_consistent();
}

TEST_F(FaultTest, ARejectedKeyIsReportedOnceAndExitsThree) {
  write_config(m_api.base_url());
  auto result = once("not-the-key");
  EXPECT_EQ(result.exit_code, 3);
  std::size_t lines = 0;
  for (auto at = result.err.find("API key rejected"); at != std::string::npos;
       at = result.err.find("API key rejected", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << result.err;
  EXPECT_EQ(result.err.find("not-the-key"), std::string::npos);
}

TEST_F(FaultTest, AKeyWithALineBreakIsRefusedAtStart) {
  write_config(m_api.base_url());
  auto result = once(kKey + "\r\nX-Injected: 1");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("control character"), std::string::npos) << result.err;
  EXPECT_EQ(m_api.requests(kGood1), 0);
}

TEST_F(FaultTest, UntrustedOrMismatchedCertificatesFailWithTheReason) {
  const auto pki = test::make_test_pki(m_dir / "pki");
  const auto wrong_name = test::make_test_pki(m_dir / "wrong", {"api.example.net"});
  struct Case {
    const test::TestPki &served;
    std::string ca_file;
    std::string expected;
  };
  for (const Case &c : {Case{pki, "", "TLS certificate verification failed: unable to get local issuer certificate"},
                        Case{wrong_name, wrong_name.ca_file.string(),
                             "TLS certificate verification failed: the certificate does not match the host name"}}) {
    test::FakeApi https(kKey, c.served.server);
    for (const auto &id : {kGood1, kFaulty, kGood2})
      https.set_version(test::task_version(id));
    write_config(https.base_url(), c.ca_file.empty() ? "" : "  ca_file: " + c.ca_file + "\n");
    auto result = once();
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("task " + kGood1 + ": " + c.expected), std::string::npos) << result.err;
    EXPECT_EQ(https.requests(kGood1), 0) << "no request may reach an unverified server";
  }
  EXPECT_FALSE(std::filesystem::exists(m_repo / "tasks"));
}

TEST_F(FaultTest, ATrustedCertificateWorks) {
  const auto pki = test::make_test_pki(m_dir / "pki");
  test::FakeApi https(kKey, pki.server);
  for (const auto &id : {kGood1, kFaulty, kGood2})
    https.set_version(test::task_version(id));
  write_config(https.base_url(), "  ca_file: " + pki.ca_file.string() + "\n");
  auto result = once();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  expect_consistent();
}

// A small filesystem of our own to fill up or make read-only (needs root, as CI runs).
class SmallFilesystem {
public:
  explicit SmallFilesystem(const std::filesystem::path &where) : m_where(where) {
    std::filesystem::create_directories(where);
    if (::mount("tmpfs", where.c_str(), "tmpfs", 0, "size=4m") == 0)
      m_mounted = true;
    else
      m_reason = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
  }
  ~SmallFilesystem() {
    if (m_mounted) ::umount2(m_where.c_str(), MNT_DETACH);
  }
  bool mounted() const { return m_mounted; }
  const std::string &reason() const { return m_reason; }
  // Writes a file until the filesystem is full.
  void fill() const {
    std::ofstream filler(m_where / "filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  void free_space() const { std::filesystem::remove(m_where / "filler"); }
  bool set_read_only(bool read_only) const {
    return ::mount(nullptr, m_where.c_str(), nullptr, MS_REMOUNT | (read_only ? MS_RDONLY : 0), "size=4m") == 0;
  }

  const std::filesystem::path &where() const { return m_where; }

private:
  std::filesystem::path m_where;
  bool m_mounted = false;
  std::string m_reason;
};

// The fault tests' repository moved onto `disk` and mirrored there once, before the fault.
void FaultTest::mirror_onto(const SmallFilesystem &disk) {
  m_repo = disk.where() / "mirror";
  write_config(m_api.base_url());
  const test::TasksyncdRun first = once();
  ASSERT_EQ(first.exit_code, 0) << first.err;
}

TEST_F(FaultTest, ADiskFullFailsTheTasksAndTheNextRunRecovers) {
  SmallFilesystem disk(m_dir / "disk");
  if (!disk.mounted()) GTEST_SKIP() << disk.reason() << " (the test needs root to mount a small tmpfs)";
  ASSERT_NO_FATAL_FAILURE(mirror_onto(disk));

  for (const auto &id : {kGood1, kFaulty, kGood2})
    m_api.set_version(test::task_version(id, "2"));
  disk.fill();
  auto full = once();
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("task " + kGood1 + ": "), std::string::npos) << full.err;
  disk.free_space();
  EXPECT_TRUE(test::fsck_clean(m_repo));

  auto recovered = once();
  EXPECT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_EQ(git({"log", "-3", "--format=%s"}).out, kGood2 + ": update to version 2\n" + kFaulty +
                                                       ": update to version 2\n" + kGood1 + ": update to version 2\n");
  expect_consistent();
}

TEST_F(FaultTest, AReadOnlyRepositoryIsReportedAndRecoveredFrom) {
  SmallFilesystem disk(m_dir / "disk");
  if (!disk.mounted()) GTEST_SKIP() << disk.reason() << " (the test needs root to mount a small tmpfs)";
  ASSERT_NO_FATAL_FAILURE(mirror_onto(disk));

  m_api.set_version(test::task_version(kFaulty, "2"));
  ASSERT_TRUE(disk.set_read_only(true));
  auto read_only = once();
  EXPECT_EQ(read_only.exit_code, 1);
  EXPECT_NE(read_only.err.find("task " + kFaulty + ": "), std::string::npos) << read_only.err;
  EXPECT_NE(read_only.err.find("Read-only file system"), std::string::npos) << read_only.err;
  EXPECT_NE(read_only.err.find(m_repo.string()), std::string::npos) << read_only.err;
  EXPECT_TRUE(test::fsck_clean(m_repo));
  ASSERT_TRUE(disk.set_read_only(false));

  auto recovered = once();
  EXPECT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_EQ(git({"log", "-1", "--format=%s"}).out, kFaulty + ": update to version 2\n");
  expect_consistent();
}
