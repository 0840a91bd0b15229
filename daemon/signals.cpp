#include "signals.hpp"

#include <csignal>
#include <mutex>
#include <pthread.h>

namespace tasksyncd {
namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1); // a pass now; also our own wake-up call, sent by the destructor
  return set;
}

} // namespace

SignalHandler::SignalHandler() {
  const sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  m_thread = std::jthread([this](std::stop_token own_stop) {
    const sigset_t signals = handled_signals();
    while (!own_stop.stop_requested()) {
      int signal = 0;
      if (sigwait(&signals, &signal) != 0 || own_stop.stop_requested()) continue;
      if (signal == SIGTERM || signal == SIGINT) {
        m_stop.request_stop();
      } else if (signal == SIGHUP) {
        std::lock_guard lock(m_mutex);
        if (m_on_reload) m_on_reload();
      } else if (signal == SIGUSR1) {
        std::lock_guard lock(m_mutex);
        if (m_on_pass_request) m_on_pass_request();
      }
    }
  });
}

SignalHandler::~SignalHandler() {
  m_thread.request_stop();
  // Wakes the thread at once (a polling wait would add its tick to every exit).
  pthread_kill(m_thread.native_handle(), SIGUSR1);
  m_thread.join();
}

void SignalHandler::on_reload(std::function<void()> callback) {
  std::lock_guard lock(m_mutex);
  m_on_reload = std::move(callback);
}

void SignalHandler::on_pass_request(std::function<void()> callback) {
  std::lock_guard lock(m_mutex);
  m_on_pass_request = std::move(callback);
}

} // namespace tasksyncd
