#pragma once

#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

namespace tasksyncd {

// Turns SIGTERM and SIGINT into a stop request, SIGHUP into a reload request and SIGUSR1 into a
// pass now, handled on a thread of its own (sigwait), so no work happens inside a signal handler.
// Construct it before any other thread starts: they inherit the blocked signal mask (SIGUSR1 also
// wakes the thread to end it).
class SignalHandler {
public:
  SignalHandler();
  // Ends and joins the thread. A stop request runs the stop token's callbacks (cancelling
  // requests in flight) on that thread, so this waits for them: the daemon ends it within its
  // stop deadline.
  ~SignalHandler();

  // Requested on SIGTERM or SIGINT.
  std::stop_token stop_token() const { return m_stop.get_token(); }
  // Sets what SIGHUP does.
  void on_reload(std::function<void()> callback);
  // Sets what SIGUSR1 does (nothing until then: a pass is about to start anyway).
  void on_pass_request(std::function<void()> callback);

private:
  std::stop_source m_stop;
  std::function<void()> m_on_reload;
  std::function<void()> m_on_pass_request;
  std::mutex m_mutex;
  std::jthread m_thread;
};

} // namespace tasksyncd
