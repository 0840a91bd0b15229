// Attacks on the real tasksyncd binary (issue 10) through its status server: clients that hold
// connections to http.listen must not take the descriptors the passes need, nor keep /healthz
// from answering.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "daemon_fixture.hpp"
#include "status_clients.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-hostile-status-7";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";

class HostileStatusTest : public test::DaemonFixture {
protected:
  HostileStatusTest() : DaemonFixture(kKey) {
    serve(kTaskA);
    serve(kTaskB);
    write_config(
        {.timeout_seconds = 30,
         .top = "poll:\n  interval_seconds: 1\n",
         .rest = "http:\n  listen: 127.0.0.1:" + std::to_string(m_port) + "\n" + test::tasks_yaml({kTaskA, kTaskB})});
  }

  // tasksyncd in daemon mode, run through prlimit with the given open-file limits.
  std::unique_ptr<test::ChildProcess> start(const std::string &nofile) {
    return std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"prlimit", "--nofile=" + nofile, TASKSYNCD_PATH, "--config", m_config.string()},
        test::tasksyncd_environment(m_key));
  }
};

// Keeps up to `count` connections to the status server open: those the server has closed are
// replaced, a few at a time (the loopback's ports are finite), so the server is always offered
// more than it may hold.
class IdleFlood {
public:
  IdleFlood(int port, int count) : m_port(port) {
    for (int i = 0; i < count; ++i)
      m_connections.push_back(test::connect_raw(port, /*nonblocking=*/true));
  }

  // Replaces up to 20 of the connections the server closed (or refused); returns how many.
  int top_up() {
    int replaced = 0;
    for (FileDescriptor &connection : m_connections) {
      if (replaced == 20) break;
      if (connection.is_open() && !test::closed_by_peer(connection)) continue;
      connection = test::connect_raw(m_port, /*nonblocking=*/true);
      ++replaced;
    }
    return replaced;
  }

private:
  int m_port;
  std::vector<FileDescriptor> m_connections;
};

// "Max open files" soft and hard limits of process `pid`, from /proc/PID/limits.
std::pair<std::string, std::string> open_file_limits(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

} // namespace

TEST_F(HostileStatusTest, MoreIdleConnectionsThanItsDescriptorLimitDoNotStopSyncing) {
  auto daemon = start("256:256");
  ASSERT_TRUE(wait_for_commits(2, 15s)) << daemon->err();

  IdleFlood flood(m_port, 400);
  serve(kTaskB, "2");
  // Passes run every second; each check offers the server fresh connections for those it closed.
  ASSERT_TRUE(test::wait_until(
      [&] {
        flood.top_up();
        return commits() >= 3;
      },
      20s))
      << daemon->err();
  EXPECT_EQ(git({"log", "-1", "--format=%s"}).out, kTaskB + ": update to version 2\n");

  flood.top_up();
  const test::TimedAnswer health = test::get_health(m_port);
  EXPECT_EQ(health.status, 200) << daemon->err();
  EXPECT_LT(health.took, 1s);
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
  EXPECT_EQ(daemon->err().find("Too many open files"), std::string::npos) << daemon->err();
}

TEST_F(HostileStatusTest, RaisesItsSoftOpenFileLimitToTheHardLimit) {
  auto daemon = start("200:300");
  ASSERT_TRUE(wait_for_commits(2, 15s)) << daemon->err();
  EXPECT_EQ(open_file_limits(daemon->pid()), std::make_pair(std::string("300"), std::string("300")));
  EXPECT_TRUE(test::stop_tasksyncd(*daemon));
}
