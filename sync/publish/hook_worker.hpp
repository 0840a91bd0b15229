#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "config/config.hpp"
#include "publish/hook_runner.hpp"

namespace tasksync {

// One hook to run: the hooks settings in force when its commit became due, and the commit.
struct HookRun {
  HookSettings hooks;
  HookEvent event;
};

// Runs hooks one at a time, in the order they were handed over, on a thread of its own beside
// the passes that hand them over: a pass never waits for a hook. At most `capacity` runs wait;
// one more drops the oldest waiting, and a full queue is logged once per episode (from the first
// drop until the worker has caught up). Destroying the worker stops it (stop()).
class HookWorker {
public:
  // How many runs may wait by default: 1000 commits' hooks (a pass of that many changes, or
  // hours of a hook that hangs until its timeout), a few hundred bytes each.
  static constexpr std::size_t kDefaultCapacity = 1000;

  explicit HookWorker(std::size_t capacity = kDefaultCapacity);
  ~HookWorker();
  HookWorker(const HookWorker &) = delete;
  HookWorker &operator=(const HookWorker &) = delete;

  // Queues `run` behind those waiting (the thread starts with the first); never blocks for
  // longer than it takes to queue it. Ignored once stopped.
  void submit(HookRun run);
  // Returns once no run waits or runs, or once `stop` is requested.
  void wait_until_idle(std::stop_token stop);
  // Kills the running hook with its process group (run_hook's stop), logs one line with how many
  // waiting runs will not run, and joins the thread; at most about a second. Later calls do nothing.
  void stop();

private:
  void work(std::stop_token stop);
  std::optional<HookRun> next(std::stop_token stop);

  const std::size_t m_capacity;
  std::mutex m_mutex;                    // guards what follows, up to m_thread
  std::condition_variable_any m_changed; // a run was queued or one ended
  std::deque<HookRun> m_waiting;         // oldest first
  bool m_running = false;                // a hook runs now
  std::size_t m_dropped = 0;             // in the overflow episode under way
  bool m_stopped = false;
  std::jthread m_thread; // last: started by the first submit()
};

} // namespace tasksync
