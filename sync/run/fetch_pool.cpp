#include "run/fetch_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "pack/task_directory.hpp"

namespace tasksync {
namespace {

// True when committing `version` would change the task's directory in `head`.
bool commit_due(const TasksTree &head, const std::string &task_id, const std::optional<Snapshot> &snapshot) {
  const auto directory = head.find(task_id);
  if (!snapshot) return directory.has_value();
  if (!directory || directory->mode != GIT_FILEMODE_TREE) return true;
  const git_oid wanted = directory_id(*snapshot);
  return !git_oid_equal(&directory->id, &wanted);
}

} // namespace

// Jobs run on the workers between passes (see run_each()).
struct FetchPool::Batch {
  std::size_t count = 0;
  std::size_t next = 0;    // next job to start
  std::size_t running = 0; // started and not finished
  const std::function<void(std::size_t, ApiClient &)> *job = nullptr;
};

struct FetchPool::Shared {
  std::mutex mutex;
  std::condition_variable_any wake; // workers wait for work, take() for answers
  std::vector<std::unique_ptr<ApiClient>> clients;
  std::vector<TaskEntry> tasks; // this pass's tasks
  // Answers not yet taken, by task index: a pointer each, since only a window of them is ever
  // held but a pass of 10,000 tasks has as many slots.
  std::vector<std::unique_ptr<Fetched>> results;
  std::shared_ptr<const TasksTree> head; // HEAD's tasks/ when the pass started
  std::shared_ptr<HeadReader> reader;    // what HEAD holds for a task; null without a repository
  std::size_t next = 0;                  // next index to fetch
  std::size_t limit = 0;                 // fetch only below this, to bound memory
  std::size_t window = 0;                // answers fetched ahead of take()
  std::uint64_t generation = 0;          // answers from an older pass are dropped
  std::stop_token pass_stop;
  std::optional<std::chrono::steady_clock::time_point> give_up_at;
  bool shutting_down = false;
  std::optional<Batch> batch; // run_each() in progress
};

FetchPool::FetchPool(TaskNames &names) : m_names(names), m_shared(std::make_unique<Shared>()) {}

Result<std::unique_ptr<FetchPool>> FetchPool::create(const ApiSettings &settings, const std::string &api_key,
                                                     std::size_t concurrency, TaskNames &names,
                                                     std::shared_ptr<DeprecationNotices> notices,
                                                     std::shared_ptr<const TrustStore> trust) {
  std::unique_ptr<FetchPool> pool(new FetchPool(names));
  const auto gate = std::make_shared<RequestGate>();
  for (std::size_t i = 0; i < std::max<std::size_t>(concurrency, 1); ++i) {
    TRY_ASSIGN(auto client, ApiClient::create(settings, api_key, gate, notices, trust));
    pool->m_shared->clients.push_back(std::make_unique<ApiClient>(std::move(client)));
  }
  // Enough answers buffered to keep every worker busy while one task is being committed.
  pool->m_shared->window = 2 * pool->m_shared->clients.size();
  for (std::size_t i = 0; i < pool->m_shared->clients.size(); ++i) {
    pool->m_workers.emplace_back([raw = pool.get(), i] { raw->work(i); });
  }
  return pool;
}

FetchPool::~FetchPool() {
  {
    std::lock_guard lock(m_shared->mutex);
    m_shared->shutting_down = true;
  }
  cancel();
  m_workers.clear(); // joins
}

void FetchPool::cancel() {
  for (auto &client : m_shared->clients)
    client->cancel();
  m_shared->wake.notify_all();
}

Fetched FetchPool::fetch(const TaskEntry &task, ApiClient &client, const TasksTree &head, HeadReader *reader,
                         std::stop_token stop, std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  const auto started = std::chrono::steady_clock::now();
  Fetched fetched{client.fetch_latest(task.id, stop, give_up_at), std::nullopt, 0};
  fetched.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!fetched.result) return fetched;
  if (!fetched.result->deleted) fetched.snapshot = render(*fetched.result);
  if (!commit_due(head, task.id, fetched.snapshot)) return fetched;
  if (m_names.unknown(task)) m_names.look_up(task, client, stop);
  const auto directory = head.find(task.id);
  if (!reader || !fetched.snapshot || !directory || directory->mode != GIT_FILEMODE_TREE) return fetched;
  // What HEAD holds decides how the version moved; unreadable, it is taken as no number at all.
  if (auto in_head = reader->read(directory->id, task.id)) fetched.head = std::move(*in_head);
  if (!fetched.head) return fetched;
  const auto was = version_number(fetched.head->version());
  const auto now = version_number(fetched.result->version);
  if (!was || !now || *now <= *was + 1) return fetched;
  auto gap = fetch_gap(client, task.id, *was, *now, stop, give_up_at);
  if (!gap) {
    fetched.result = gap.error();
    fetched.snapshot.reset();
    return fetched;
  }
  fetched.gap = std::move(*gap);
  return fetched;
}

void FetchPool::work(std::size_t worker) {
  Shared &shared = *m_shared;
  std::unique_lock lock(shared.mutex);
  for (;;) {
    shared.wake.wait(lock, [&] {
      return shared.shutting_down || (shared.batch && shared.batch->next < shared.batch->count) ||
             shared.next < std::min(shared.tasks.size(), shared.limit);
    });
    if (shared.shutting_down) return;
    if (shared.batch && shared.batch->next < shared.batch->count) {
      Batch &batch = *shared.batch;
      const std::size_t index = batch.next++;
      ++batch.running;
      const auto *job = batch.job;
      lock.unlock();
      (*job)(index, *shared.clients[worker]);
      lock.lock();
      --shared.batch->running;
      shared.wake.notify_all();
      continue;
    }
    const std::size_t index = shared.next++;
    const std::uint64_t generation = shared.generation;
    const TaskEntry task = shared.tasks[index];
    const std::stop_token stop = shared.pass_stop;
    const auto give_up_at = shared.give_up_at;
    const std::shared_ptr<const TasksTree> head = shared.head; // a fetch may outlive its pass
    const std::shared_ptr<HeadReader> reader = shared.reader;
    lock.unlock();
    Fetched fetched = fetch(task, *shared.clients[worker], *head, reader.get(), stop, give_up_at);
    lock.lock();
    if (generation == shared.generation) {
      // A refused key would be refused for every other task too: fetch no more this pass.
      if (!fetched.result && fetched.result.error().is_auth_failure()) shared.next = shared.tasks.size();
      shared.results[index] = std::make_unique<Fetched>(std::move(fetched));
      shared.wake.notify_all();
    }
  }
}

void FetchPool::start(std::vector<TaskEntry> tasks, TasksTree head, std::shared_ptr<HeadReader> reader,
                      std::stop_token stop, std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  Shared &shared = *m_shared;
  {
    std::lock_guard lock(shared.mutex);
    shared.results.clear();
    shared.results.resize(tasks.size());
    shared.tasks = std::move(tasks);
    shared.head = std::make_shared<const TasksTree>(std::move(head));
    shared.reader = std::move(reader);
    shared.next = 0;
    shared.limit = shared.window;
    ++shared.generation;
    shared.pass_stop = stop;
    shared.give_up_at = give_up_at;
  }
  shared.wake.notify_all();
}

std::optional<Fetched> FetchPool::take(std::size_t index, std::stop_token stop) {
  Shared &shared = *m_shared;
  std::optional<Fetched> fetched;
  {
    std::unique_lock lock(shared.mutex);
    shared.wake.wait(lock, stop, [&] { return shared.results[index] != nullptr; });
    if (!shared.results[index]) return std::nullopt;
    fetched = std::move(*shared.results[index]);
    shared.results[index].reset();
    shared.limit = index + 1 + shared.window;
  }
  shared.wake.notify_all();
  return fetched;
}

void FetchPool::run_each(std::size_t count, const std::function<void(std::size_t, ApiClient &)> &job,
                         std::stop_token stop) {
  Shared &shared = *m_shared;
  std::unique_lock lock(shared.mutex);
  shared.batch.emplace(Batch{count, 0, 0, &job});
  shared.wake.notify_all();
  const auto done = [&] { return shared.batch->next == shared.batch->count && shared.batch->running == 0; };
  if (!shared.wake.wait(lock, stop, done)) {
    // The jobs write into the caller's memory: none may outlive this call.
    shared.batch->next = shared.batch->count;
    lock.unlock();
    cancel();
    lock.lock();
    shared.wake.wait(lock, [&] { return shared.batch->running == 0; });
  }
  shared.batch.reset();
}

namespace {

const FetchError kCanceled{FetchError::Kind::transport, 0, "canceled: shutting down", false, std::nullopt};

} // namespace

std::vector<Result<ListedPage, FetchError>>
FetchPool::list_pages(const std::vector<int> &pages, int limit, std::stop_token stop,
                      std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  std::vector<std::optional<Result<ListedPage, FetchError>>> results(pages.size());
  run_each(
      pages.size(),
      [&](std::size_t i, ApiClient &client) {
        results[i].emplace(read_listed_page(client, pages[i], limit, stop, give_up_at));
      },
      stop);
  std::vector<Result<ListedPage, FetchError>> answers;
  for (auto &result : results)
    answers.push_back(result ? std::move(*result) : Result<ListedPage, FetchError>(kCanceled));
  return answers;
}

std::vector<Result<std::optional<TaskVersion>, FetchError>>
FetchPool::fetch_drafts(const std::vector<std::string> &task_ids, std::stop_token stop,
                        std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  using Answer = Result<std::optional<TaskVersion>, FetchError>;
  std::vector<std::optional<Answer>> results(task_ids.size());
  run_each(
      task_ids.size(),
      [&](std::size_t i, ApiClient &client) { results[i].emplace(client.fetch_draft(task_ids[i], stop, give_up_at)); },
      stop);
  std::vector<Answer> answers;
  for (auto &result : results)
    answers.push_back(result ? std::move(*result) : Answer(kCanceled));
  return answers;
}

void FetchPool::stop_fetching() {
  std::lock_guard lock(m_shared->mutex);
  m_shared->next = m_shared->tasks.size();
}

void FetchPool::finish() {
  Shared &shared = *m_shared;
  std::lock_guard lock(shared.mutex);
  ++shared.generation;
  // Released, not cleared: a full check's 10,000 results and HEAD's tasks/ would otherwise stay
  // allocated between passes.
  shared.tasks = decltype(shared.tasks)();
  shared.results = decltype(shared.results)();
  shared.head.reset();
  shared.reader.reset();
  shared.next = shared.limit = 0;
}

} // namespace tasksync
