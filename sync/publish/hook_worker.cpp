#include "publish/hook_worker.hpp"

#include <utility>

#include "base/log.hpp"

namespace tasksync {
namespace {

std::string short_id(const std::string &id) { return id.substr(0, 12); }

std::string runs(std::size_t count) { return std::to_string(count) + (count == 1 ? " hook run" : " hook runs"); }

} // namespace

HookWorker::HookWorker(std::size_t capacity) : m_capacity(capacity) {}

HookWorker::~HookWorker() { stop(); }

void HookWorker::submit(HookRun run) {
  std::lock_guard lock(m_mutex);
  if (m_stopped) return;
  if (m_waiting.size() >= m_capacity) {
    const HookEvent &oldest = m_waiting.front().event;
    if (m_dropped++ == 0) {
      log::warning("hooks: " + std::to_string(m_capacity) + " hook runs already wait; dropping the oldest, task " +
                   oldest.task_id +
                   (oldest.commit_id.empty() ? " removal of " + oldest.ref : " commit " + short_id(oldest.commit_id)) +
                   ", and each oldest one after it until the hooks have caught up");
    }
    m_waiting.pop_front();
  }
  m_waiting.push_back(std::move(run));
  if (!m_thread.joinable()) m_thread = std::jthread([this](std::stop_token stop) { work(std::move(stop)); });
  m_changed.notify_all();
}

void HookWorker::wait_until_idle(std::stop_token stop) {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, stop, [this] { return m_stopped || (m_waiting.empty() && !m_running); });
}

void HookWorker::stop() {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopped) return;
    m_stopped = true;
  }
  m_changed.notify_all();
  if (m_thread.joinable()) {
    m_thread.request_stop();
    m_thread.join();
  }
  std::lock_guard lock(m_mutex);
  if (!m_waiting.empty()) log::warning("hooks: " + runs(m_waiting.size()) + " waiting not run: tasksyncd is stopping");
  m_waiting.clear();
}

std::optional<HookRun> HookWorker::next(std::stop_token stop) {
  std::unique_lock lock(m_mutex);
  m_running = false;
  if (m_waiting.empty() && m_dropped > 0) {
    log::info("hooks: caught up; " + runs(m_dropped) + " dropped while the queue was full");
    m_dropped = 0;
  }
  m_changed.notify_all();
  m_changed.wait(lock, stop, [this] { return !m_waiting.empty(); });
  if (stop.stop_requested()) return std::nullopt; // what waits is stop()'s to count
  HookRun run = std::move(m_waiting.front());
  m_waiting.pop_front();
  m_running = true;
  return run;
}

void HookWorker::work(std::stop_token stop) {
  while (std::optional<HookRun> run = next(stop)) {
    const HookEvent &event = run->event;
    const Result<void> ran = run_hook(run->hooks, event, stop);
    if (ran) {
      log::info("task " + event.task_id + ": hook " + run->hooks.on_change.front() + " exited with status 0");
    } else {
      log::warning("task " + event.task_id + ": " + ran.error().message);
    }
  }
}

} // namespace tasksync
