#include "publish/push_session.hpp"

#include <cstdlib>
#include <exception>

#include "base/git_handles.hpp"
#include "publish/known_hosts.hpp"
#include "publish/tls_trust.hpp"
#include "secrets/credential_sources.hpp"
#include "secrets/secret_file.hpp"

namespace tasksync::publish_detail {
namespace {

void replace_all(std::string &text, const std::string &from, const std::string &to) {
  if (from.empty()) return;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

} // namespace

Result<std::optional<std::string>> read_token(const PushSettings &push) {
  if (!push.token_file) return std::optional<std::string>{};
  TRY_ASSIGN(std::string token, read_secret(*push.token_file, push.token_name(), kPushTokenCredential));
  return std::optional<std::string>(std::move(token));
}

PushSession::PushSession(const PushSettings &push, RemoteUrl remote, std::optional<std::string> token)
    : m_push(push), m_remote(std::move(remote)), m_token(std::move(token)),
      m_known_hosts(known_hosts_files(push.known_hosts_file)) {}

git_remote_callbacks PushSession::callbacks() {
  m_tried = 0; // each connection may try each kind of credentials once
  m_refusal.clear();
  m_rejections.clear();
  m_before.reset();
  m_sent.reset();
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = &PushSession::on_credentials;
  callbacks.certificate_check = &PushSession::on_certificate;
  callbacks.push_negotiation = &PushSession::on_negotiation;
  callbacks.push_update_reference = &PushSession::on_update_status;
  callbacks.payload = this;
  return callbacks;
}

Error PushSession::failure(const std::string &reason) const {
  return Error{scrub("push to " + m_remote.display + " failed: " + reason)};
}

Error PushSession::git_failure(const std::string &what, int code) const {
  std::string reason = m_refusal.empty() ? git_error_text(code) : m_refusal;
  if (m_remote.transport == Transport::ssh && reason.find("Unable to exchange encryption keys") != std::string::npos) {
    reason += " (libssh2 1.10, which Debian 12's libgit2 uses, verifies RSA host keys only with SHA-1 (ssh-rsa), "
              "which OpenSSH 8.8 and later no longer offer: a server whose only host key is RSA cannot be reached; "
              "give it an ed25519 or ECDSA host key and list that key in known_hosts)";
  }
  return failure(what + reason);
}

// A C++ exception must never unwind through libgit2's C frames: each callback's body runs here.
template <typename Body> int PushSession::guarded(void *payload, int code, const char *what, Body body) noexcept {
  auto &session = *static_cast<PushSession *>(payload);
  try {
    return body(session);
  } catch (const std::exception &error) {
    try {
      session.m_refusal = std::string(what) + ": " + error.what();
    } catch (...) {
    }
  } catch (...) {
    try {
      session.m_refusal = std::string(what) + ": unexpected failure";
    } catch (...) {
    }
  }
  return code;
}

int PushSession::on_credentials(git_credential **out, const char *, const char *user_from_url, unsigned int allowed,
                                void *payload) {
  return guarded(payload, GIT_EAUTH, "credentials",
                 [&](PushSession &session) { return session.credentials(out, user_from_url, allowed); });
}

int PushSession::on_certificate(git_cert *cert, int valid, const char *host, void *payload) {
  return guarded(payload, GIT_ECERTIFICATE, "host key check", [&](PushSession &session) -> int {
    if (cert->cert_type == GIT_CERT_X509) {
      // libgit2 has verified the chain and name against the system store (mbedTLS, its TLS on
      // Debian 12); a certificate it refused may still be one repo.push.ca_file vouches for.
      if (valid || !session.m_push.ca_file) return GIT_PASSTHROUGH;
      return session.tls_certificate(*reinterpret_cast<const git_cert_x509 *>(cert), host ? host : "");
    }
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
    // libgit2 1.5.1 (transports/ssh.c, its CVE-2023-22742 fix) reads $HOME/.ssh/known_hosts with
    // libssh2 and calls this with `valid` set only when libssh2_knownhost_checkp() found the key
    // listed for the host and port; GIT_PASSTHROUGH would keep that verdict. It never reads
    // /etc/ssh/ssh_known_hosts, and libssh2 1.10 knows no markers (it takes "@revoked" for a
    // host name), so we decide: libgit2's match counts unless our files mark the key @revoked,
    // and any other key must be listed in one of our files.
    return session.host_key(*reinterpret_cast<const git_cert_hostkey *>(cert), host ? host : "", valid != 0);
  });
}

int PushSession::on_negotiation(const git_push_update **updates, size_t count, void *payload) {
  return guarded(payload, GIT_EUSER, "push negotiation", [&](PushSession &session) {
    for (std::size_t i = 0; i < count; ++i) {
      if (session.m_remote_ref != updates[i]->dst_refname) continue;
      if (!git_oid_is_zero(&updates[i]->src)) session.m_before = updates[i]->src;
      session.m_sent = updates[i]->dst;
    }
    return 0;
  });
}

int PushSession::on_update_status(const char *refname, const char *status, void *payload) {
  return guarded(payload, GIT_EUSER, "push status", [&](PushSession &session) {
    if (status) session.m_rejections.push_back({refname ? refname : "", status});
    return 0;
  });
}

int PushSession::credentials(git_credential **out, const char *user_from_url, unsigned int allowed) {
  const std::string user = user_from_url && *user_from_url ? user_from_url : "git";
  if ((allowed & GIT_CREDENTIAL_USERNAME) && first_try(GIT_CREDENTIAL_USERNAME)) {
    return git_credential_username_new(out, user.c_str());
  }
  if (allowed & GIT_CREDENTIAL_SSH_KEY) return ssh_credentials(out, user);
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) return token_credentials(out);
  return refuse("the remote asks for a kind of credentials tasksync does not support");
}

int PushSession::ssh_credentials(git_credential **out, const std::string &user) {
  // libgit2 asks again after a refusal; offering the same thing again would loop forever.
  const bool first = first_try(GIT_CREDENTIAL_SSH_KEY);
  if (m_push.ssh_key_file) {
    if (first) return git_credential_ssh_key_new(out, user.c_str(), nullptr, m_push.ssh_key_file->c_str(), nullptr);
    return refuse("the ssh server refused the key in " + m_push.ssh_key_name() + " " + m_push.ssh_key_file->string() +
                  " for user " + user);
  }
  const char *agent = std::getenv("SSH_AUTH_SOCK");
  if (first && (!agent || !*agent)) {
    return refuse("no ssh key: SSH_AUTH_SOCK is not set (no ssh-agent), repo.push.ssh_key_file is not set, and "
                  "there is no systemd credential " +
                  std::string(kPushSshKeyCredential) + " (under the unit, put the key at " +
                  std::string(kUnitCredentialSources) + "/" + std::string(kPushSshKeyCredential) + ")");
  }
  if (first) return git_credential_ssh_key_from_agent(out, user.c_str());
  return refuse("the ssh server refused the keys ssh-agent offered for user " + user +
                " (is SSH_AUTH_SOCK set? repo.push.ssh_key_file names a key file instead)");
}

int PushSession::token_credentials(git_credential **out) {
  if (is_clear_text_off_host(m_remote)) {
    return refuse("the remote asks for credentials over plain http, and " + m_remote.host +
                  " is not a loopback address: tasksync sends the token only over https or to loopback "
                  "(repo.push.allow_insecure_http does not change that)");
  }
  if (!m_token) {
    return refuse("the remote asks for credentials; set repo.push.token_file (or, under the unit, put the token at " +
                  std::string(kUnitCredentialSources) + "/" + std::string(kPushTokenCredential) + ")");
  }
  if (first_try(GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
    return git_credential_userpass_plaintext_new(out, m_push.token_user.c_str(), m_token->c_str());
  }
  return refuse("the remote rejected the token in " + m_push.token_name() + " " + m_push.token_file->string() +
                " (user " + m_push.token_user + ")");
}

int PushSession::tls_certificate(const git_cert_x509 &cert, const std::string &host) {
  auto verified =
      verify_with_ca_file(std::string_view(static_cast<const char *>(cert.data), cert.len), host, *m_push.ca_file);
  if (!verified) return refuse(verified.error().message, GIT_ECERTIFICATE);
  return 0;
}

int PushSession::host_key(const git_cert_hostkey &cert, const std::string &host, bool listed_for_libgit2) {
  const std::string name = m_remote.port == 22 ? host : "[" + host + "]:" + std::to_string(m_remote.port);
  HostKeyMatcher matches;
  if (cert.type & GIT_CERT_SSH_RAW) {
    matches = matches_key(std::string(cert.hostkey, cert.hostkey_len));
  } else if (cert.type & GIT_CERT_SSH_SHA256) {
    matches =
        matches_key_sha256(std::string(reinterpret_cast<const char *>(cert.hash_sha256), sizeof cert.hash_sha256));
  } else {
    return refuse("cannot check the ssh host key of " + host + ": libgit2 gave neither the key nor its SHA-256",
                  GIT_ECERTIFICATE);
  }
  auto checked = check_host_key(name, matches, m_known_hosts, listed_for_libgit2);
  if (!checked && m_push.known_hosts_file) {
    // The file the config names may have gone since the config was read: say why it was not read.
    if (auto readable = check_readable(*m_push.known_hosts_file, "repo.push.known_hosts_file"); !readable) {
      return refuse(checked.error().message + "; " + readable.error().message, GIT_ECERTIFICATE);
    }
  }
  if (!checked) return refuse(checked.error().message, GIT_ECERTIFICATE);
  return 0;
}

bool PushSession::first_try(unsigned int type) {
  if (m_tried & type) return false;
  m_tried |= type;
  return true;
}

int PushSession::refuse(std::string reason, int code) {
  m_refusal = std::move(reason);
  return code;
}

std::string PushSession::scrub(std::string text) const {
  // Messages may quote the URL (libgit2's do): keep secrets out of them.
  replace_all(text, m_remote.url, m_remote.display);
  if (!m_remote.secret.empty()) replace_all(text, m_remote.secret, "<redacted>");
  if (m_token && !m_token->empty()) replace_all(text, *m_token, "<redacted>");
  return text;
}

} // namespace tasksync::publish_detail
