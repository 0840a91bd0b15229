#include "run/poller.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "base/log.hpp"
#include "render/render.hpp"

namespace tasksync {

namespace {

// A fetched answer waiting to be applied.
struct Fetched {
  Result<TaskVersion, FetchError> result;
  double seconds;
};

std::string task_name(const TaskEntry &task) {
  return task.name.empty() ? "task " + task.id : "task " + task.id + " (" + task.name + ")";
}

void log_outcome(const TaskOutcome &outcome) {
  if (outcome.failed()) {
    log::error(task_name(outcome.task) + ": " + outcome.error);
  } else if (!outcome.commit_id.empty()) {
    log::info(task_name(outcome.task) + ": " + to_string(outcome.change) + " version " + outcome.version +
              ", commit " + outcome.commit_id.substr(0, 12));
  } else {
    log::debug(task_name(outcome.task) + ": " + to_string(outcome.change) + " at version " + outcome.version);
  }
}

} // namespace

struct Poller::Shared {
  std::mutex mutex;
  std::condition_variable_any wake; // workers wait for work, the applying thread for answers
  std::vector<std::unique_ptr<ApiClient>> clients;
  std::vector<std::string> ids;                // this pass's task IDs
  std::vector<std::optional<Fetched>> results; // answers not yet applied, by task index
  std::size_t next = 0;                        // next index to fetch
  std::size_t limit = 0;                       // fetch only below this, to bound memory
  std::uint64_t generation = 0;                // answers from an older pass are dropped
  std::stop_token pass_stop;
  std::optional<std::chrono::steady_clock::time_point> give_up_at;
  bool shutting_down = false;
  std::unique_ptr<ApiClient> label_client;  // used by the applying thread only
  std::map<std::string, std::string> names; // task ID -> name from the API
};

// A commit subject names the task: its configured name, else the name the API knows it by
// (asked only when a commit is due, once per run), else its ID.
std::string Poller::label_for(const TaskEntry &task, std::stop_token stop) {
  if (!task.name.empty()) return task.name;
  Shared &shared = *m_shared;
  if (const auto known = shared.names.find(task.id); known != shared.names.end()) return known->second;
  auto info = shared.label_client->fetch_task(task.id, stop);
  if (!info) {
    log::debug(task_name(task) + ": no name from the API (" + info.error().message + "), using the ID");
    return task.id;
  }
  const std::string label = info->name.empty() ? task.id : info->name;
  shared.names.emplace(task.id, label);
  return label;
}

void Poller::apply_version(const TaskEntry &task, const TaskVersion &version, Mirror &mirror, PassMode mode,
                           std::stop_token stop, TaskOutcome &outcome) {
  outcome.version = version.version;
  if (!version.deleted && !is_known_language(version.language)) {
    log::warning(task_name(task) + ": unknown language \"" + version.language.value_or("") + "\", mirrored as " +
                 code_file_name(version.language));
  }
  const std::optional<Snapshot> desired = version.deleted ? std::nullopt : std::optional<Snapshot>(render(version));
  auto planned = mirror.plan(task.id, desired);
  if (!planned) {
    outcome.error = planned.error().message;
    return;
  }
  outcome.change = *planned;
  if (*planned == ChangeKind::unchanged) return;
  if (mode == PassMode::dry_run) {
    auto changes = mirror.changes(task.id, desired);
    if (!changes) outcome.error = changes.error().message;
    else outcome.changes = std::move(*changes);
    return;
  }
  const CommitInfo info{task.id, label_for(task, stop), version.version, version.updated_at, version.updated};
  auto applied = mirror.apply(desired, info);
  if (!applied) {
    outcome.error = applied.error().message;
    return;
  }
  outcome.change = applied->kind;
  outcome.commit_id = applied->commit_id;
}



std::size_t PassReport::failures() const {
  return static_cast<std::size_t>(std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return o.failed(); }));
}

std::size_t PassReport::commits() const {
  return static_cast<std::size_t>(
      std::count_if(outcomes.begin(), outcomes.end(), [](const auto &o) { return !o.commit_id.empty(); }));
}

Poller::Poller() : m_shared(std::make_unique<Shared>()) {}

Result<std::unique_ptr<Poller>> Poller::create(const ApiSettings &settings, const std::string &api_key,
                                               std::size_t concurrency) {
  std::unique_ptr<Poller> poller(new Poller());
  const auto gate = std::make_shared<RequestGate>();
  for (std::size_t i = 0; i < std::max<std::size_t>(concurrency, 1); ++i) {
    auto client = ApiClient::create(settings, api_key, gate);
    if (!client) return client.error();
    poller->m_shared->clients.push_back(std::make_unique<ApiClient>(std::move(*client)));
  }
  auto label_client = ApiClient::create(settings, api_key, gate);
  if (!label_client) return label_client.error();
  poller->m_shared->label_client = std::make_unique<ApiClient>(std::move(*label_client));
  for (std::size_t i = 0; i < poller->m_shared->clients.size(); ++i) {
    poller->m_workers.emplace_back([raw = poller.get(), i] { raw->work(i); });
  }
  return poller;
}

Poller::~Poller() {
  {
    std::lock_guard lock(m_shared->mutex);
    m_shared->shutting_down = true;
  }
  for (auto &client : m_shared->clients) client->cancel();
  m_shared->label_client->cancel();
  m_shared->wake.notify_all();
  m_workers.clear(); // joins
}

void Poller::work(std::size_t worker) {
  Shared &shared = *m_shared;
  std::unique_lock lock(shared.mutex);
  for (;;) {
    shared.wake.wait(lock, [&] { return shared.shutting_down || shared.next < std::min(shared.ids.size(), shared.limit); });
    if (shared.shutting_down) return;
    const std::size_t index = shared.next++;
    const std::uint64_t generation = shared.generation;
    const std::string id = shared.ids[index];
    const std::stop_token stop = shared.pass_stop;
    const auto give_up_at = shared.give_up_at;
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    auto result = shared.clients[worker]->fetch_latest(id, stop, give_up_at);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    lock.lock();
    if (generation == shared.generation) {
      // A refused key would be refused for every other task too: fetch no more this pass.
      if (!result && result.error().is_auth_failure()) shared.next = shared.ids.size();
      shared.results[index].emplace(Fetched{std::move(result), took.count()});
      shared.wake.notify_all();
    }
  }
}

PassReport Poller::run_pass(const std::vector<TaskEntry> &tasks, Mirror &mirror, PassMode mode, std::stop_token stop,
                            const Progress &progress,
                            std::optional<std::chrono::steady_clock::time_point> give_up_at) {
  Shared &shared = *m_shared;
  // Enough answers buffered to keep every worker busy while one task is being committed.
  const std::size_t window = 2 * shared.clients.size();
  {
    std::lock_guard lock(shared.mutex);
    shared.ids.clear();
    for (const TaskEntry &task : tasks) shared.ids.push_back(task.id);
    shared.results.clear();
    shared.results.resize(tasks.size());
    shared.next = 0;
    shared.limit = window;
    ++shared.generation;
    shared.pass_stop = stop;
    shared.give_up_at = give_up_at;
  }
  shared.wake.notify_all();
  const std::stop_callback abandon_requests(stop, [&shared] {
    for (auto &client : shared.clients) client->cancel();
    shared.label_client->cancel();
    shared.wake.notify_all();
  });

  PassReport report;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    std::optional<Fetched> fetched;
    if (!report.api_key_rejected) {
      std::unique_lock lock(shared.mutex);
      shared.wake.wait(lock, stop, [&] { return shared.results[i].has_value(); });
      if (!shared.results[i]) {
        report.interrupted = true;
        break;
      }
      fetched = std::move(shared.results[i]);
      shared.results[i].reset();
      shared.limit = i + 1 + window;
    }
    shared.wake.notify_all();

    TaskOutcome &outcome = report.outcomes.emplace_back();
    outcome.task = tasks[i];
    if (!fetched) {
      outcome.error = "skipped: the API key was rejected";
      continue;
    }
    outcome.fetch_seconds = fetched->seconds;
    if (!fetched->result) {
      outcome.fetch_error = fetched->result.error();
      outcome.error = outcome.fetch_error->message;
    } else {
      apply_version(tasks[i], *fetched->result, mirror, mode, stop, outcome);
    }
    if (outcome.fetch_error && outcome.fetch_error->is_auth_failure()) {
      report.api_key_rejected = true;
      {
        std::lock_guard lock(shared.mutex);
        shared.next = shared.ids.size(); // every other request would be refused too
      }
      log::error("API key rejected (" + outcome.error + ") on " + task_name(tasks[i]) +
                 "; skipping the other tasks this pass: check the key");
    } else if (!(stop.stop_requested() && outcome.fetch_error)) {
      log_outcome(outcome);
    }
    if (progress) progress(outcome);
  }
  {
    std::lock_guard lock(shared.mutex);
    ++shared.generation; // answers still in flight belong to no pass now
    shared.ids.clear();
    shared.results.clear();
    shared.next = shared.limit = 0;
  }
  if (mode == PassMode::apply) {
    if (auto flushed = mirror.finish_pass(); !flushed) {
      report.problems.push_back("repository " + mirror.work_tree().string() + ": " + flushed.error().message);
      log::error(report.problems.back());
    }
  }
  return report;
}

} // namespace tasksync
