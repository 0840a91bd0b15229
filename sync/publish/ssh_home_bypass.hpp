#pragma once

#include <optional>
#include <string>

namespace tasksync::publish_detail {

// While it lives (and `active`), $HOME names a path where no file can exist (/dev/null), so that
// libgit2 1.5.1 finds no $HOME/.ssh/known_hosts to parse on an ssh connection. It parses that
// file on every connection and never frees the result after a successful one (transports/ssh.c:
// _git_ssh_session_create() calls load_known_hosts() before the certificate callback, whatever
// the callbacks, and _git_ssh_connect() frees it only on failure): a daemon pushing every few
// minutes grows by the size of the parsed file each time. The host key is still checked, by
// PushSession's certificate callback against the known_hosts files it resolved beforehand
// ($HOME's among them). The previous value is restored (or HOME unset again) on destruction.
//
// Only between passes, around libgit2's ssh push and fetch: setenv() is not synchronised with
// getenv() in other threads. glibc replaces an existing variable's pointer and never frees a
// value it allocated, so a concurrent getenv("HOME") sees the old or the new value.
class SshHomeBypass {
public:
  explicit SshHomeBypass(bool active);
  ~SshHomeBypass();
  SshHomeBypass(const SshHomeBypass &) = delete;
  SshHomeBypass &operator=(const SshHomeBypass &) = delete;

private:
  bool m_active;
  std::optional<std::string> m_saved; // HOME before; nullopt: unset
};

} // namespace tasksync::publish_detail
