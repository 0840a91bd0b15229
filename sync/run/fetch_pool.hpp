#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "api/client.hpp"
#include "config/config.hpp"
#include "git/head_reader.hpp"
#include "pack/tasks_tree.hpp"
#include "render/render.hpp"
#include "run/list_entry.hpp"
#include "run/task_names.hpp"
#include "run/version_history.hpp"

namespace tasksync {

// One task's answer from the API, fetched and rendered by a worker, waiting to be applied.
struct Fetched {
  Result<TaskVersion, FetchError> result;
  std::optional<Snapshot> snapshot; // the rendered directory; none when deleted or failed
  double seconds = 0;               // how long the API took to answer
  std::optional<HeadTask> head{};   // what HEAD holds for the task, read when a commit is due
  VersionGap gap{};                 // versions to commit before this one (HEAD's number + 1 skipped)
};

// The network side of a pass: workers with one keep-alive API client each fetch and render the
// pass's tasks ahead of the thread that applies them, and hand the answers over in config
// order. A worker also asks for the name of a task whose commit is due (it differs from HEAD)
// when nobody has yet, so the applying thread never waits for a round trip of its own.
class FetchPool {
public:
  // Starts `concurrency` workers; nothing is fetched until start(). Their clients pause together
  // when the API asks one of them to slow down, report retirement notices to `notices`, and trust
  // `trust` (else one store each).
  static Result<std::unique_ptr<FetchPool>>
  create(const ApiSettings &settings, const std::string &api_key, std::size_t concurrency, TaskNames &names,
         std::shared_ptr<DeprecationNotices> notices = std::make_shared<DeprecationNotices>(),
         std::shared_ptr<const TrustStore> trust = {});
  // Cancels requests in flight and joins the workers.
  ~FetchPool();
  FetchPool(const FetchPool &) = delete;
  FetchPool &operator=(const FetchPool &) = delete;

  // Starts fetching `tasks` (at most a window of answers ahead of take()). `head` is HEAD's
  // tasks/ tree, against which workers tell which tasks will be committed; for those, `reader`
  // (when there is a repository) gives what HEAD holds, and a latest version more than one above
  // HEAD's has the versions between fetched too (fetch_gap). Retries stop at `give_up_at`, and
  // everything once `stop` is requested.
  void start(std::vector<TaskEntry> tasks, TasksTree head, std::shared_ptr<HeadReader> reader, std::stop_token stop,
             std::optional<std::chrono::steady_clock::time_point> give_up_at);

  // The answer for the task at `index`, taken in order from 0; waits for it. nullopt when
  // `stop` was requested first.
  std::optional<Fetched> take(std::size_t index, std::stop_token stop);

  // Starts no more fetches this pass (a refused key would be refused for every task).
  void stop_fetching();

  // Ends the pass: answers still in flight belong to no pass and are dropped.
  void finish();

  // Aborts every request in flight (from any thread).
  void cancel();

  // The number of workers.
  std::size_t size() const { return m_workers.size(); }

  // GET /v1/task?page=P&limit=`limit` for each of `pages`, spread over the workers (between
  // passes: a pass's task fetches wait meanwhile), each reduced to digests by the worker that
  // fetched it; the answers in the order of `pages`.
  std::vector<Result<ListedPage, FetchError>>
  list_pages(const std::vector<int> &pages, int limit, std::stop_token stop,
             std::optional<std::chrono::steady_clock::time_point> give_up_at);

  // GET /v1/task/{id}/draft for each of `task_ids`, spread over the workers (between passes, as
  // list_pages); the answers in the order of `task_ids`.
  std::vector<Result<std::optional<TaskVersion>, FetchError>>
  fetch_drafts(const std::vector<std::string> &task_ids, std::stop_token stop,
               std::optional<std::chrono::steady_clock::time_point> give_up_at);

private:
  struct Shared;
  struct Batch;
  // Runs job(i, client) for each i below `count` on the workers, and waits until all have run;
  // once `stop` is requested, starts no more and cancels those running (their slots stay unset).
  void run_each(std::size_t count, const std::function<void(std::size_t, ApiClient &)> &job, std::stop_token stop);
  explicit FetchPool(TaskNames &names);
  void work(std::size_t worker);
  Fetched fetch(const TaskEntry &task, ApiClient &client, const TasksTree &head, HeadReader *reader,
                std::stop_token stop, std::optional<std::chrono::steady_clock::time_point> give_up_at);

  TaskNames &m_names;
  std::unique_ptr<Shared> m_shared;
  std::vector<std::jthread> m_workers;
};

} // namespace tasksync
