#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "api/request_watchdog.hpp"
#include "base/result.hpp"

namespace tasksync::publish_detail {

/// What ended a push's network work before libgit2 did.
enum class BoundEnd {
  none,      // nothing: libgit2's own result stands
  timed_out, // the deadline passed
  stopped,   // a stop was requested
  elsewhere, // libgit2 tried to connect to another host or port than the remote's (a redirect)
};

// The time bound and the one destination of a push's network work. libgit2 1.5.1 has no
// timeouts of its own, and follows a redirect to any port of the remote's host (any host at
// all on the first request). While a NetworkBound lives, every socket libgit2 opens on its
// thread (http, https, ssh and git://, each made through git_socket_stream_new) is tasksync's:
// it connects only to `host`:`port`, each connect, read and write waits no later than the
// deadline, and it is shut down when the deadline passes or `stop` is requested, which also ends
// a wait inside libssh2 (it reads the socket itself). One bound per thread at a time; outside
// any, libgit2 gets no socket at all.
class NetworkBound {
public:
  // Routes libgit2's sockets through tasksync's stream (registered once per process), then
  // bounds this thread's network work until the returned bound is destroyed: to `limit` from
  // now, to `host` (a name or an address, IPv6 without brackets, as in the URL) and `port`, and
  // to before `stop`.
  static Result<std::unique_ptr<NetworkBound>> start(std::string host, int port, std::chrono::seconds limit,
                                                     std::stop_token stop);
  ~NetworkBound();
  NetworkBound(const NetworkBound &) = delete;
  NetworkBound &operator=(const NetworkBound &) = delete;

  // What ended the work early, if anything did.
  BoundEnd end() const;
  // With BoundEnd::elsewhere: the "host:port" a connection was refused to.
  std::string refused() const;
  // The bound's length, as started.
  std::chrono::seconds limit() const { return m_limit; }

private:
  friend struct BoundedSocket; // the stream libgit2 calls, in network_bound.cpp

  NetworkBound(std::string host, int port, std::chrono::seconds limit, std::stop_token stop);
  // The bound in force on this thread, or nullptr.
  static NetworkBound *current();
  // True when `host`:`port` (as libgit2 passes them to a stream) is the remote's.
  bool admits(const std::string &host, const std::string &port) const;
  // Ends the work (the first reason counts) and shuts down every socket it holds.
  void finish(BoundEnd why, const std::string &refused = {});
  // Holds `fd` so that an end shuts it down; false (nothing held) when the work has ended.
  bool hold(int fd);
  // Lets go of `fd` before it is closed.
  void release(int fd);

  const std::string m_host;
  const int m_port;
  const std::chrono::seconds m_limit;
  const std::chrono::steady_clock::time_point m_deadline;
  NetworkBound *m_outer = nullptr; // the thread's bound before this one (none in tasksync)
  mutable std::mutex m_mutex;
  BoundEnd m_end = BoundEnd::none;
  std::string m_refused;
  std::vector<int> m_sockets; // held, not owned: each stream closes its own
  RequestWatchdog m_watchdog; // ends the work at the deadline
  RequestWatchdog::Armed m_armed;
  // Last: a stop already requested ends the work as this is made, and its destruction waits for
  // a stop being handled on another thread before anything above goes.
  std::stop_callback<std::function<void()>> m_on_stop;
};

} // namespace tasksync::publish_detail
