#include "signals.hpp"

#include <csignal>
#include <ctime>
#include <mutex>

namespace tasksyncd {
namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

SignalHandler::SignalHandler() {
  const sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  m_thread = std::jthread([this](std::stop_token own_stop) {
    const sigset_t signals = handled_signals();
    const timespec tick{0, 200'000'000}; // to notice our own shutdown
    while (!own_stop.stop_requested()) {
      const int signal = sigtimedwait(&signals, nullptr, &tick);
      if (signal == SIGTERM || signal == SIGINT) {
        m_stop.request_stop();
      } else if (signal == SIGHUP) {
        std::lock_guard lock(m_mutex);
        if (m_on_reload) m_on_reload();
      }
    }
  });
}

SignalHandler::~SignalHandler() {
  m_thread.request_stop();
  m_thread.join();
}

void SignalHandler::on_reload(std::function<void()> callback) {
  std::lock_guard lock(m_mutex);
  m_on_reload = std::move(callback);
}

} // namespace tasksyncd
