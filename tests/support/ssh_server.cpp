#include "ssh_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

namespace tasksync::test {
namespace {

constexpr const char *kSshd = "/usr/sbin/sshd";

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

} // namespace

void make_ssh_key(const std::filesystem::path &file, const std::string &type) {
  run_process({"ssh-keygen", "-q", "-t", type, "-N", "", "-C", "tasksync-test", "-f", file.string()});
}

SshServer::SshServer(const std::filesystem::path &authorized_public_key, const std::string &host_key_type) {
  if (::access(kSshd, X_OK) != 0) {
    m_skip_reason = std::string(kSshd) + " is missing (Debian package openssh-server)";
    return;
  }
  const passwd *user = ::getpwuid(::geteuid());
  if (!user) {
    m_skip_reason = "the current user has no name";
    return;
  }
  m_user = user->pw_name;
  // sshd started as root insists on its privilege separation directory, as the package's unit makes it.
  if (::geteuid() == 0) ::mkdir("/run/sshd", 0755);
  make_ssh_key(m_dir / "host_key", host_key_type);
  write_text(m_dir / "authorized_keys", read_text(authorized_public_key));
  m_port = free_port();
  write_text(m_dir / "sshd_config", "Port " + std::to_string(m_port) + "\nListenAddress 127.0.0.1\nHostKey " +
                                        (m_dir / "host_key").string() + "\nAuthorizedKeysFile " +
                                        (m_dir / "authorized_keys").string() + "\nPidFile " +
                                        (m_dir / "sshd.pid").string() +
                                        "\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                                        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
                                        "AllowUsers " +
                                        m_user + "\nLogLevel VERBOSE\n");
  m_sshd = std::make_unique<ChildProcess>(
      std::vector<std::string>{kSshd, "-D", "-e", "-f", (m_dir / "sshd_config").string()});
  m_started = wait_until([this] { return accepts_connections(m_port); }, std::chrono::seconds(10));
  if (!m_started) m_skip_reason = "sshd did not start: " + m_sshd->err();
}

SshServer::~SshServer() = default;

std::string SshServer::url(const std::filesystem::path &path) const {
  return "ssh://" + m_user + "@127.0.0.1:" + std::to_string(m_port) + path.string();
}

std::string SshServer::known_hosts_line() const {
  std::string key = read_text(m_dir / "host_key.pub");
  key = key.substr(0, key.find(' ', key.find(' ') + 1)); // type and base64, without the comment
  return "[127.0.0.1]:" + std::to_string(m_port) + " " + key + "\n";
}

} // namespace tasksync::test
