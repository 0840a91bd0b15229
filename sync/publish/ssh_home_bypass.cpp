#include "publish/ssh_home_bypass.hpp"

#include <cstdlib>

namespace tasksync::publish_detail {

SshHomeBypass::SshHomeBypass(bool active) : m_active(active) {
  if (!m_active) return;
  if (const char *home = std::getenv("HOME")) m_saved = home;
  // "/dev/null/.ssh/known_hosts" cannot exist: libssh2 fails to open it, which libgit2 takes
  // for an empty known_hosts (an unset HOME, by contrast, would fail the connection).
  ::setenv("HOME", "/dev/null", 1);
}

SshHomeBypass::~SshHomeBypass() {
  if (!m_active) return;
  if (m_saved) {
    ::setenv("HOME", m_saved->c_str(), 1);
  } else {
    ::unsetenv("HOME");
  }
}

} // namespace tasksync::publish_detail
