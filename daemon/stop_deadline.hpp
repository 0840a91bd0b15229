#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace tasksyncd {

// Bounds the end of a stop, once nothing durable is left to do: the steps that remain (closing
// connections, joining threads) must all be over within `bound` of construction. If they are not,
// a watching thread logs one error line naming the step still running and ends the process at once
// with `exit_code`, so a stop that hangs is never reported as a clean one. Destroyed in time, it
// stops watching and the caller goes on to return normally, destructors and all.
class StopDeadline {
public:
  StopDeadline(std::chrono::seconds bound, int exit_code);
  // Stops watching: the stop finished within its bound.
  ~StopDeadline();
  StopDeadline(const StopDeadline &) = delete;
  StopDeadline &operator=(const StopDeadline &) = delete;

  // Names the step now running ("closing the service: ..."), for the line logged if the bound passes.
  void step(std::string what);

private:
  void watch(std::chrono::steady_clock::time_point deadline);

  const std::chrono::seconds m_bound;
  const int m_exit_code;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::string m_step = "the stop";
  bool m_done = false;
  std::thread m_thread; // last: starts once everything above is initialised
};

} // namespace tasksyncd
