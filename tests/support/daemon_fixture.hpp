#pragma once

// The one fixture of the integration tests (tests/daemon/): a temporary directory, the fake API
// holding the test's API key, a free port, a config file with the keys every test sets, the
// repository it mirrors into, and tasksyncd run, started and stopped against them, never
// showing the key.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fake_api.hpp"
#include "process.hpp"
#include "tasksyncd.hpp"
#include "temp_dir.hpp"

namespace tasksync::test {

// A config file in parts, each defaulting to what most tests want; written in this order:
// api: (base_url, timeout_seconds, `api`), `top`, repo: (path, `repo_keys`), `rest`.
struct DaemonConfig {
  std::string base_url{};       // api.base_url: the fake API's when empty
  int timeout_seconds = 5;      // api.timeout_seconds
  std::string api{};            // more keys under api: ("  retries: 0\n")
  std::string top{};            // top-level sections before repo: ("poll:\n  interval_seconds: 1\n")
  std::filesystem::path repo{}; // repo.path: the fixture's repository when empty
  std::string repo_keys{};      // more keys under repo: ("  push:\n    remote: R\n")
  std::string rest{};           // what follows repo: (http:, hooks:, the tasks)
};

// The `tasks:` section listing `ids`.
std::string tasks_yaml(const std::vector<std::string> &ids);

// A draft of `task` holding `code`, with draft ID `id`, updated at `updated`.
FakeVersion draft_version(const std::string &task, const std::string &code,
                          const std::string &id = "d1d1d1d1-0000-4000-8000-000000000001",
                          const std::string &updated = "2026-11-25T09:00:00Z");

// What every integration test starts from; a test's own fixture derives from it with its key.
class DaemonFixture : public ::testing::Test {
protected:
  // The fake API accepts `api_key`, and tasksyncd runs with it in ANCHORBROWSER_API_KEY.
  explicit DaemonFixture(std::string api_key);

  // The fake API serves version `version` of task `id` (test::task_version) as the latest.
  void serve(const std::string &id, const std::string &version = "1");

  // Writes m_config from `config`.
  void write_config(const DaemonConfig &config);

  // `tasksyncd ARGS...` run to its end (or killed after `bound`), with `env` changing the test
  // environment; expects the API key in neither of its outputs.
  TasksyncdRun run(const std::vector<std::string> &args, const EnvChanges &env = {},
                   std::chrono::milliseconds bound = std::chrono::seconds(60));

  // `tasksyncd --config m_config MODE`, as run() runs it.
  TasksyncdRun run_mode(const std::string &mode, const EnvChanges &env = {},
                        std::chrono::milliseconds bound = std::chrono::seconds(60));

  // `tasksyncd --config m_config --once`, as run() runs it.
  TasksyncdRun once(const EnvChanges &env = {}, std::chrono::milliseconds bound = std::chrono::seconds(60));

  // `tasksyncd --config m_config ARGS...` started in the background.
  std::unique_ptr<ChildProcess> start(std::vector<std::string> args = {}, const EnvChanges &env = {});

  // start() without arguments, once its first pass has finished.
  std::unique_ptr<ChildProcess> start_after_first_pass();

  // Stops `daemon` as README promises (test::stop_tasksyncd) and expects neither the API key nor
  // `secret` (when given) in its log.
  void stop(ChildProcess &daemon, const std::string &secret = "");

  // The body of GET /metrics from the daemon's http.listen on m_port; "" without a 200 answer.
  std::string metrics();

  // `git ARGS...` in the repository.
  ProcessResult git(const std::vector<std::string> &args);

  // What `git ARGS...` in the repository printed; expects it to succeed.
  std::string git_out(const std::vector<std::string> &args);

  // True when branch `name` exists in the repository.
  bool has_ref(const std::string &name);

  // Someone else's commit (a README) pushed to main of the bare repository `remote`, from a clone
  // of it in the test's directory: the mirror's next push is rejected and replayed onto it.
  void push_as_someone_else(const std::filesystem::path &remote);

  // Commits reachable from `rev` in the repository.
  int commits(const std::string &rev = "HEAD");

  // Waits until `rev` has at least `count` commits; false when `timeout` passes first.
  bool wait_for_commits(int count, std::chrono::milliseconds timeout = std::chrono::seconds(15),
                        const std::string &rev = "HEAD");

  const std::string m_key;
  TempDir m_dir;
  FakeApi m_api{m_key};
  int m_port = free_port(); // for http.listen, when a test serves one
  std::filesystem::path m_config = m_dir / "config.yaml";
  std::filesystem::path m_repo = m_dir / "mirror";
};

} // namespace tasksync::test
