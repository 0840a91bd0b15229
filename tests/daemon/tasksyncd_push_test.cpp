// Integration tests: --check-config on what a push and a hook will need, push credentials from
// systemd's credentials directory, and a failing push in the pass's summary.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon_fixture.hpp"
#include "ssh_server.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-integration-secret-0123456789";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

class TasksyncdPushTest : public test::DaemonFixture {
protected:
  TasksyncdPushTest() : DaemonFixture(kKey) { serve(kTask); }

  // A config whose repo: section ends with `repo_tail` (indented two spaces) and then `rest`.
  void write_config(const std::string &repo_tail, const std::string &rest = "") {
    DaemonFixture::write_config({.repo_keys = repo_tail, .rest = rest + test::tasks_yaml({kTask})});
  }

  test::TasksyncdRun check(const test::EnvChanges &env = {}) { return run_mode("--check-config", env); }

  std::filesystem::path ed25519_key(const std::string &name) {
    const auto file = m_dir / name;
    EXPECT_EQ(test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file.string()}).exit_code, 0);
    return file;
  }
};

} // namespace

TEST_F(TasksyncdPushTest, CheckConfigPrintsThePushAndTheHooks) {
  const auto remote = m_dir / "remote.git";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", remote.string()}).exit_code, 0);
  write_config("  push:\n    remote: " + remote.string() + "\n", "hooks:\n  on_change: [/bin/true, --quiet]\n");
  auto result = check();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("repository: " + m_repo.string() + " (missing: created with git init on the first pass)\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("push: " + remote.string() + " (a local repository), branch main\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("hooks: on_change /bin/true --quiet (timeout 30 s, runs /bin/true)\n"), std::string::npos)
      << result.out;

  write_config("");
  result = check();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("push: none (repo.push is not set)\nhooks: none (hooks.on_change is not set)\n"),
            std::string::npos)
      << result.out;
}

TEST_F(TasksyncdPushTest, CheckConfigFailsOnWhatAPushOrAHookWouldLack) {
  const auto known_hosts = m_dir / "known_hosts";
  test::write_text(
      known_hosts,
      "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
  const std::string ssh =
      "  push:\n    remote: ssh://git@127.0.0.1:2222/srv/x.git\n    known_hosts_file: " + known_hosts.string() + "\n";

  write_config(ssh + "    ssh_key_file: " + (m_dir / "missing-key").string() + "\n");
  auto result = check();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("cannot read repo.push.ssh_key_file " + (m_dir / "missing-key").string() +
                            ": No such file or directory"),
            std::string::npos)
      << result.err;

  // With a key that works, the host must be listed.
  write_config("  push:\n    remote: ssh://git@127.0.0.1:2299/srv/x.git\n    known_hosts_file: " +
               known_hosts.string() + "\n    ssh_key_file: " + ed25519_key("deploy").string() + "\n");
  result = check();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("repo.push: the ssh host [127.0.0.1]:2299 is listed in no known_hosts file (" +
                            known_hosts.string() + " (does not list [127.0.0.1]:2299)"),
            std::string::npos)
      << result.err;
  write_config(ssh + "    ssh_key_file: " + (m_dir / "deploy").string() + "\n");
  result = check();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("  ssh key: repo.push.ssh_key_file " + (m_dir / "deploy").string() + " (ssh-ed25519)\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("  known_hosts: " + known_hosts.string() + " (lists [127.0.0.1]:2222)"), std::string::npos)
      << result.out;

  write_config("  push:\n    remote: https://127.0.0.1:1/x.git\n    token_file: " + (m_dir / "missing-token").string() +
               "\n");
  result = check();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("cannot read repo.push.token_file " + (m_dir / "missing-token").string() +
                            ": No such file or directory"),
            std::string::npos)
      << result.err;

  test::write_text(m_dir / "hook.sh", "#!/bin/sh\n");
  write_config("", "hooks:\n  on_change: [" + (m_dir / "hook.sh").string() + "]\n");
  result = check();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("hooks.on_change: cannot run " + (m_dir / "hook.sh").string() +
                            ": not executable: Permission denied"),
            std::string::npos)
      << result.err;
  write_config("", "hooks:\n  on_change: [no-such-hook-program]\n");
  result = check();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("hooks.on_change: cannot run no-such-hook-program: not found in PATH"), std::string::npos)
      << result.err;
}

TEST_F(TasksyncdPushTest, CheckConfigFailsOnARepositoryPathThatCannotBeCreated) {
  test::write_text(m_config, "repo:\n  path: /proc/nope\ntasks:\n  - " + kTask + "\n");
  auto result = check();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("repo.path /proc/nope cannot be created: mkdir /proc/nope: No such file or directory"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(std::filesystem::exists(m_repo));
}

TEST_F(TasksyncdPushTest, PushCredentialsComeFromTheCredentialsDirectory) {
  const auto credentials = m_dir / "credentials";
  std::filesystem::create_directories(credentials);
  std::filesystem::copy_file(ed25519_key("deploy"), credentials / "push-ssh-key");
  test::write_text(credentials / "push-token", "\n"); // the unit's placeholder: no token
  const auto known_hosts = m_dir / "known_hosts";
  test::write_text(
      known_hosts,
      "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
  write_config(
      "  push:\n    remote: ssh://git@127.0.0.1:2222/srv/x.git\n    known_hosts_file: " + known_hosts.string() + "\n");
  auto result = check({{"CREDENTIALS_DIRECTORY", credentials.string()}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("  ssh key: systemd credential push-ssh-key " + (credentials / "push-ssh-key").string() +
                            " (ssh-ed25519)\n"),
            std::string::npos)
      << result.out;

  // An https remote: the placeholder is no token.
  write_config("  push:\n    remote: https://127.0.0.1:1/x.git\n");
  result = check({{"CREDENTIALS_DIRECTORY", credentials.string()}});
  EXPECT_NE(result.out.find("  token: none"), std::string::npos) << result.out;
  test::write_text(credentials / "push-token", "secret-push-token\n");
  result = check({{"CREDENTIALS_DIRECTORY", credentials.string()}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("  token: systemd credential push-token " + (credentials / "push-token").string() +
                            " (user x-access-token)\n"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.find("secret-push-token"), std::string::npos);
}

TEST_F(TasksyncdPushTest, AKeyTheServiceUserCannotReadIsNamedWithPermissionDenied) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to run tasksyncd as another user (nobody) than the key's owner";
  if (test::run_process({"setpriv", "--version"}).exit_code != 0) GTEST_SKIP() << "setpriv (util-linux) is missing";
  const auto key = ed25519_key("root-key");
  ::chmod(key.c_str(), 0600);
  ::chmod(m_dir.path().c_str(), 0755);
  const auto known_hosts = m_dir / "known_hosts";
  test::write_text(
      known_hosts,
      "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
  write_config("  push:\n    remote: ssh://git@127.0.0.1:2222/srv/x.git\n    known_hosts_file: " +
               known_hosts.string() + "\n    ssh_key_file: " + key.string() + "\n");
  ::chmod(m_config.c_str(), 0644);
  // As the unit's dynamic user would: another user than root, who owns the key (mode 0600).
  auto result = test::run_process({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                   test::tasksyncd_binary(), "--config", m_config.string(), "--check-config"},
                                  test::tasksyncd_environment(m_key, {}));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("cannot read repo.push.ssh_key_file " + key.string() +
                            ": Permission denied (the service's dynamic user cannot read root's files: put it at "
                            "/etc/tasksync/push-ssh-key"),
            std::string::npos)
      << result.err;
}

TEST_F(TasksyncdPushTest, AFailedPushIsCountedInTheSummaryLineAndExitsOne) {
  write_config("  push:\n    remote: " + (m_dir / "no-such-remote.git").string() + "\n");
  auto result = run({"--config", m_config.string(), "--once"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("pass finished: 1 tasks, 1 commits, 0 failed, push failed"), std::string::npos)
      << result.err;
}

TEST_F(TasksyncdPushTest, PushesOverSshWithTheCredentialsKeyAndNoHome) {
  // As under the unit: the key is the credential push-ssh-key; and no HOME, with which libgit2
  // 1.5.1 would fail every ssh connection ("error loading known_hosts") but for SshHomeBypass.
  const auto credentials = m_dir / "credentials";
  std::filesystem::create_directories(credentials);
  test::make_ssh_key(credentials / "push-ssh-key", "ed25519");
  test::SshServer server(credentials / "push-ssh-key.pub");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  std::filesystem::remove(credentials / "push-ssh-key.pub");
  const auto remote = m_dir / "remote.git";
  ASSERT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", remote.string()}).exit_code, 0);
  test::write_text(m_dir / "known_hosts", server.known_hosts_line());
  write_config("  push:\n    remote: " + server.url(remote) +
               "\n    known_hosts_file: " + (m_dir / "known_hosts").string() + "\n");
  auto result =
      run({"--config", m_config.string(), "--once"},
          {{"CREDENTIALS_DIRECTORY", credentials.string()}, {"HOME", std::nullopt}, {"SSH_AUTH_SOCK", std::nullopt}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("pushed 1 commit to " + server.url(remote)), std::string::npos) << result.err;
  EXPECT_EQ(test::count_commits(remote, "main"), 1);
}

TEST_F(TasksyncdPushTest, CheckConfigOutsideTheUnitLooksForTheKeyWhereTheUnitLoadsIt) {
  write_config("");
  auto result = check({{"ANCHORBROWSER_API_KEY", std::nullopt}});
  std::error_code ignored;
  if (std::filesystem::exists("/etc/tasksync/anchor-api-key", ignored) &&
      ::access("/etc/tasksync/anchor-api-key", R_OK) == 0) {
    // Installed on this machine (README's install steps): the key found there counts.
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("api key: from the unit's credential anchor-api-key /etc/tasksync/anchor-api-key\n"),
              std::string::npos)
        << result.out;
    return;
  }
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.out.find("/etc/tasksync/anchor-api-key"), std::string::npos) << result.out;
  if (!std::filesystem::exists("/etc/tasksync/anchor-api-key", ignored)) {
    EXPECT_NE(result.out.find("api key: none: no API key (api.api_key_file is not set, ANCHORBROWSER_API_KEY is not "
                              "set, $CREDENTIALS_DIRECTORY is not set (not run by the unit), and "
                              "/etc/tasksync/anchor-api-key, which the unit loads, does not exist or is empty)"),
              std::string::npos)
        << result.out;
  }
}

TEST_F(TasksyncdPushTest, CheckConfigWarnsOfAKeyFileTheUnitsUserCouldNotRead) {
  const auto key = ed25519_key("deploy"); // ssh-keygen writes it 0600
  const auto known_hosts = m_dir / "known_hosts";
  test::write_text(
      known_hosts,
      "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");
  write_config("  push:\n    remote: ssh://git@127.0.0.1:2222/srv/x.git\n    known_hosts_file: " +
               known_hosts.string() + "\n    ssh_key_file: " + key.string() + "\n");
  auto result = check();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning: repo.push.ssh_key_file " + key.string() +
                            " is readable here, but not by the unit's dynamic user (mode 0600, uid "),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("under the unit, put it at /etc/tasksync/push-ssh-key"), std::string::npos) << result.err;

  // Inside the unit (a credentials directory) the file is read as the service's own user: no warning.
  const auto credentials = m_dir / "credentials";
  std::filesystem::create_directories(credentials);
  result = check({{"CREDENTIALS_DIRECTORY", credentials.string()}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err.find("warning:"), std::string::npos) << result.err;
}
