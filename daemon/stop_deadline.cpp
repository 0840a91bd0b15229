#include "stop_deadline.hpp"

#include <cstdlib>

#include "base/log.hpp"

namespace tasksyncd {

StopDeadline::StopDeadline(std::chrono::seconds bound, int exit_code)
    : m_bound(bound), m_exit_code(exit_code),
      m_thread([this, deadline = std::chrono::steady_clock::now() + bound] { watch(deadline); }) {}

StopDeadline::~StopDeadline() {
  {
    std::lock_guard lock(m_mutex);
    m_done = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

void StopDeadline::step(std::string what) {
  std::lock_guard lock(m_mutex);
  m_step = std::move(what);
}

void StopDeadline::watch(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(m_mutex);
  if (m_changed.wait_until(lock, deadline, [this] { return m_done; })) return;
  tasksync::log::error("stop did not finish within " + std::to_string(m_bound.count()) +
                       " s; still running: " + m_step + "; exiting with code " + std::to_string(m_exit_code));
  // The step that hangs may hold what a destructor or exit handler would wait for: end here,
  // without running any (the line above went out unbuffered, to stderr or the journal).
  std::_Exit(m_exit_code);
}

} // namespace tasksyncd
