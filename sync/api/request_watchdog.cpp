#include "api/request_watchdog.hpp"

namespace tasksync {

RequestWatchdog::RequestWatchdog(std::function<void()> on_expiry)
    : m_on_expiry(std::move(on_expiry)), m_thread([this] { watch(); }) {}

RequestWatchdog::~RequestWatchdog() {
  {
    std::lock_guard lock(m_mutex);
    m_quit = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

RequestWatchdog::Armed RequestWatchdog::arm(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(m_mutex);
    m_deadline = deadline;
    m_expired = false;
  }
  m_changed.notify_all();
  return Armed(*this);
}

RequestWatchdog::Armed::~Armed() {
  std::unique_lock lock(m_watchdog.m_mutex);
  m_watchdog.m_deadline.reset();
  // A late on_expiry must not hit the next operation: wait until it is over.
  m_watchdog.m_changed.wait(lock, [this] { return !m_watchdog.m_running; });
  m_watchdog.m_changed.notify_all();
}

bool RequestWatchdog::Armed::expired() const {
  std::lock_guard lock(m_watchdog.m_mutex);
  return m_watchdog.m_expired;
}

void RequestWatchdog::watch() {
  std::unique_lock lock(m_mutex);
  while (!m_quit) {
    if (!m_deadline) {
      m_changed.wait(lock);
      continue;
    }
    if (std::chrono::steady_clock::now() < *m_deadline) {
      m_changed.wait_until(lock, *m_deadline);
      continue;
    }
    m_deadline.reset();
    m_expired = m_running = true;
    lock.unlock();
    m_on_expiry(); // unlocked: it may block (cpp-httplib's stop() waits for a connect in progress)
    lock.lock();
    m_running = false;
    m_changed.notify_all();
  }
}

} // namespace tasksync
