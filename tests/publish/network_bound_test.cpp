#include "publish/network_bound.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/git_handles.hpp"
#include "process.hpp"
#include "silent_listener.hpp"

using namespace tasksync;
using namespace tasksync::publish_detail;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string url_of(int port) { return "http://127.0.0.1:" + std::to_string(port) + "/x.git"; }

// Connects to `url` for a push as git_remote_push does first (over http: GET /info/refs); 0 or
// libgit2's error code, its message in git_error_text().
int connect_to(const std::string &url) {
  ensure_libgit2();
  git_remote *raw = nullptr;
  if (const int rc = git_remote_create_detached(&raw, url.c_str()); rc < 0) return rc;
  const RemotePtr remote(raw);
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  return git_remote_connect(remote.get(), GIT_DIRECTION_PUSH, &callbacks, nullptr, nullptr);
}

std::unique_ptr<NetworkBound> bound_for(int port, std::chrono::seconds limit, std::stop_token stop = {}) {
  auto bound = NetworkBound::start("127.0.0.1", port, limit, std::move(stop));
  if (!bound) ADD_FAILURE() << bound.error().message;
  return bound ? std::move(*bound) : nullptr;
}

} // namespace

TEST(NetworkBoundTest, ARemoteThatNeverAnswersIsCutOffAtTheDeadline) {
  test::SilentListener remote;
  ASSERT_NE(remote.port(), 0);
  const auto started = Clock::now();
  const auto bound = bound_for(remote.port(), 1s);
  ASSERT_TRUE(bound);
  const int rc = connect_to(url_of(remote.port()));
  const auto took = Clock::now() - started;
  EXPECT_LT(rc, 0);
  EXPECT_EQ(git_error_text(rc), "no answer within 1 s");
  EXPECT_EQ(bound->end(), BoundEnd::timed_out);
  EXPECT_TRUE(remote.connected_to());
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 30s); // without the bound: never
}

TEST(NetworkBoundTest, AStopEndsTheWaitAtOnce) {
  test::SilentListener remote;
  std::stop_source stop;
  const auto bound = bound_for(remote.port(), 3600s, stop.get_token());
  ASSERT_TRUE(bound);
  std::atomic<Clock::time_point> stopped_at{Clock::time_point::max()};
  std::jthread stopper([&] {
    // Once the request waits for its answer.
    test::wait_until([&] { return remote.connected_to(); }, 30s);
    stopped_at = Clock::now();
    stop.request_stop();
  });
  const int rc = connect_to(url_of(remote.port()));
  const auto ended_at = Clock::now();
  EXPECT_LT(rc, 0);
  EXPECT_EQ(git_error_text(rc), "stopped: tasksyncd is stopping");
  EXPECT_EQ(bound->end(), BoundEnd::stopped);
  EXPECT_LT(ended_at - stopped_at.load(), 5s); // the daemon's whole stop bound
}

TEST(NetworkBoundTest, AfterAStopNothingConnects) {
  test::SilentListener remote;
  std::stop_source stop;
  stop.request_stop();
  const auto bound = bound_for(remote.port(), 3600s, stop.get_token());
  ASSERT_TRUE(bound);
  EXPECT_LT(connect_to(url_of(remote.port())), 0);
  EXPECT_EQ(bound->end(), BoundEnd::stopped);
  EXPECT_FALSE(remote.connected_to());
}

TEST(NetworkBoundTest, AnotherPortOfTheSameHostIsNeverConnectedTo) {
  test::SilentListener remote;
  test::SilentListener other;
  const auto bound = bound_for(remote.port(), 3600s);
  ASSERT_TRUE(bound);
  const int rc = connect_to(url_of(other.port()));
  EXPECT_LT(rc, 0);
  EXPECT_EQ(git_error_text(rc), "tasksync connects only to the remote's own host and port, not to 127.0.0.1:" +
                                    std::to_string(other.port()));
  EXPECT_EQ(bound->end(), BoundEnd::elsewhere);
  EXPECT_EQ(bound->refused(), "127.0.0.1:" + std::to_string(other.port()));
  EXPECT_FALSE(other.connected_to());
  EXPECT_FALSE(remote.connected_to()); // the work ended with the refusal
}

TEST(NetworkBoundTest, NoSocketIsOpenedOutsideABound) {
  test::SilentListener remote;
  bound_for(remote.port(), 1s); // registers tasksync's stream, then ends
  const int rc = connect_to(url_of(remote.port()));
  EXPECT_LT(rc, 0);
  EXPECT_EQ(git_error_text(rc), "tasksync opens no connection outside a push's time bound");
  EXPECT_FALSE(remote.connected_to());
}
