#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "process.hpp"
#include "temp_dir.hpp"

namespace tasksync::test {

// A real OpenSSH server (openssh-server's /usr/sbin/sshd) on a loopback port, for pushes over
// ssh: it lets the current user in with the public key given, and runs git's receive-pack as
// that user. `host_key_type` is ssh-keygen's -t (ed25519, ecdsa, rsa).
class SshServer {
public:
  // Starts sshd; check started() (and skip with skip_reason() when false).
  SshServer(const std::filesystem::path &authorized_public_key, const std::string &host_key_type = "ed25519");
  ~SshServer();
  SshServer(const SshServer &) = delete;
  SshServer &operator=(const SshServer &) = delete;

  // True once sshd listens.
  bool started() const { return m_started; }
  // Why it did not start.
  const std::string &skip_reason() const { return m_skip_reason; }
  // ssh://USER@127.0.0.1:PORT/PATH for a repository at `path` on this machine.
  std::string url(const std::filesystem::path &path) const;
  // The known_hosts line for this server's host key: "[127.0.0.1]:PORT TYPE BASE64".
  std::string known_hosts_line() const;

private:
  TempDir m_dir;
  int m_port = 0;
  std::string m_user;
  std::unique_ptr<ChildProcess> m_sshd;
  bool m_started = false;
  std::string m_skip_reason;
};

// Makes an unencrypted private key of ssh-keygen type `type` at `file` (and `file`.pub).
void make_ssh_key(const std::filesystem::path &file, const std::string &type);

} // namespace tasksync::test
