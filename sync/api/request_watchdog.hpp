#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace tasksync {

// A thread that runs `on_expiry` when an armed deadline passes: it ends a blocking operation that
// has no deadline of its own (cpp-httplib bounds each read, never a whole request) from outside.
// One per client, armed for one operation at a time.
class RequestWatchdog {
public:
  // Starts the thread; `on_expiry` must be safe to call from it while the operation runs.
  explicit RequestWatchdog(std::function<void()> on_expiry);
  // Stops and joins the thread.
  ~RequestWatchdog();
  RequestWatchdog(const RequestWatchdog &) = delete;
  RequestWatchdog &operator=(const RequestWatchdog &) = delete;

  // The scope of one guarded operation: armed until destroyed.
  class Armed {
  public:
    // Disarms; returns only once an on_expiry already running has returned.
    ~Armed();
    Armed(const Armed &) = delete;
    Armed &operator=(const Armed &) = delete;
    // True when the deadline passed and on_expiry ran (or is running).
    bool expired() const;

  private:
    friend class RequestWatchdog;
    explicit Armed(RequestWatchdog &watchdog) : m_watchdog(watchdog) {}
    RequestWatchdog &m_watchdog;
  };

  // Arms the watchdog until the returned scope ends; on_expiry runs if `deadline` passes first.
  [[nodiscard]] Armed arm(std::chrono::steady_clock::time_point deadline);

private:
  void watch();

  std::function<void()> m_on_expiry;
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::optional<std::chrono::steady_clock::time_point> m_deadline; // set while armed and not yet expired
  bool m_expired = false;                                          // the current arming's deadline passed
  bool m_running = false;                                          // on_expiry is running now
  bool m_quit = false;
  std::thread m_thread; // last: starts once everything above is initialised
};

} // namespace tasksync
