#include "daemon_fixture.hpp"

#include <httplib.h>

#include <utility>

namespace tasksync::test {

std::string tasks_yaml(const std::vector<std::string> &ids) {
  std::string yaml = "tasks:\n";
  for (const auto &id : ids)
    yaml += "  - " + id + "\n";
  return yaml;
}

FakeVersion draft_version(const std::string &task, const std::string &code, const std::string &id,
                          const std::string &updated) {
  FakeVersion draft = task_version(task, "draft");
  draft.id = id;
  draft.code = code;
  draft.updated_at = updated;
  return draft;
}

DaemonFixture::DaemonFixture(std::string api_key) : m_key(std::move(api_key)) {}

void DaemonFixture::serve(const std::string &id, const std::string &version) {
  m_api.set_version(task_version(id, version));
}

void DaemonFixture::write_config(const DaemonConfig &config) {
  write_text(m_config, "api:\n  base_url: " + (config.base_url.empty() ? m_api.base_url() : config.base_url) +
                           "\n  timeout_seconds: " + std::to_string(config.timeout_seconds) + "\n" + config.api +
                           config.top + "repo:\n  path: " + (config.repo.empty() ? m_repo : config.repo).string() +
                           "\n" + config.repo_keys + config.rest);
}

TasksyncdRun DaemonFixture::run(const std::vector<std::string> &args, const EnvChanges &env,
                                std::chrono::milliseconds bound) {
  auto result = run_tasksyncd(args, tasksyncd_environment(m_key, env), bound);
  EXPECT_EQ(result.out.find(m_key), std::string::npos) << "the API key leaked to stdout";
  EXPECT_EQ(result.err.find(m_key), std::string::npos) << "the API key leaked to stderr";
  return result;
}

TasksyncdRun DaemonFixture::run_mode(const std::string &mode, const EnvChanges &env, std::chrono::milliseconds bound) {
  return run({"--config", m_config.string(), mode}, env, bound);
}

TasksyncdRun DaemonFixture::once(const EnvChanges &env, std::chrono::milliseconds bound) {
  return run_mode("--once", env, bound);
}

std::unique_ptr<ChildProcess> DaemonFixture::start(std::vector<std::string> args, const EnvChanges &env) {
  args.insert(args.begin(), {"--config", m_config.string()});
  return start_tasksyncd(args, tasksyncd_environment(m_key, env));
}

std::unique_ptr<ChildProcess> DaemonFixture::start_after_first_pass() {
  auto daemon = start();
  EXPECT_TRUE(wait_until([&] { return passes_finished(*daemon) == 1; }, std::chrono::seconds(15))) << daemon->err();
  return daemon;
}

void DaemonFixture::stop(ChildProcess &daemon, const std::string &secret) {
  EXPECT_TRUE(stop_tasksyncd(daemon));
  EXPECT_EQ(daemon.err().find(m_key), std::string::npos) << "the API key leaked";
  if (!secret.empty()) {
    EXPECT_EQ(daemon.err().find(secret), std::string::npos) << "a secret leaked";
  }
}

std::string DaemonFixture::metrics() {
  httplib::Client client("127.0.0.1", m_port);
  auto answer = client.Get("/metrics");
  return answer && answer->status == 200 ? answer->body : "";
}

ProcessResult DaemonFixture::git(const std::vector<std::string> &args) { return test::git(m_repo.string(), args); }

std::string DaemonFixture::git_out(const std::vector<std::string> &args) {
  auto result = git(args);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

bool DaemonFixture::has_ref(const std::string &name) {
  return git({"rev-parse", "--verify", "-q", "refs/heads/" + name}).exit_code == 0;
}

void DaemonFixture::push_as_someone_else(const std::filesystem::path &remote) {
  const auto clone = m_dir / "clone";
  ASSERT_EQ(run_process({"git", "clone", "-q", remote.string(), clone.string()}).exit_code, 0);
  write_text(clone / "README.md", "Reviewed here.\n");
  ASSERT_EQ(test::git(clone.string(), {"add", "README.md"}).exit_code, 0);
  ASSERT_EQ(test::git(clone.string(), {"-c", "user.name=Person", "-c", "user.email=person@example.com", "commit", "-q",
                                       "-m", "Add a README"})
                .exit_code,
            0);
  ASSERT_EQ(test::git(clone.string(), {"push", "-q", "origin", "main"}).exit_code, 0);
}

int DaemonFixture::commits(const std::string &rev) { return count_commits(m_repo, rev); }

bool DaemonFixture::wait_for_commits(int count, std::chrono::milliseconds timeout, const std::string &rev) {
  return test::wait_for_commits(m_repo, count, timeout, rev);
}

} // namespace tasksync::test
