#pragma once

#include <git2.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "config/config.hpp"
#include "publish/draft_refs.hpp"
#include "publish/remote_url.hpp"

namespace tasksync::publish_detail {

/// A remote ref the remote refused to update, and its reason.
struct RefRefusal {
  std::string ref;
  std::string why;
};

/// How one attempt to update the remote branch (and the draft branches with it) ended.
struct PushAttempt {
  bool accepted = false;                   // the remote branch is now `tip`
  std::optional<git_oid> before;           // the remote branch before, when it existed
  git_oid tip{};                           // what was offered
  std::vector<DraftRefUpdate> drafts_done; // the draft branches the remote now has as offered
  std::vector<RefRefusal> drafts_refused;  // the draft branches it refused
};

// The token in repo.push.token_file (one line; a final line break is dropped), registered as a
// secret so no log line shows it; nullopt when no token file is set.
Result<std::optional<std::string>> read_token(const PushSettings &push);

// One push to the remote (or fetch from it): the callbacks libgit2 calls for credentials, the
// host key and the status of each reference, the state they share, and the messages that name
// the remote without its secrets.
class PushSession {
public:
  // `push` must outlive the session; `token` is the one read_token() gave, for http remotes.
  PushSession(const PushSettings &push, RemoteUrl remote, std::optional<std::string> token);

  // The remote this session talks to.
  const RemoteUrl &remote() const { return m_remote; }
  // The remote branch pushed to and fetched ("refs/heads/<push.branch>").
  const std::string &remote_ref() const { return m_remote_ref; }
  // Sets remote_ref().
  void set_remote_ref(std::string ref) { m_remote_ref = std::move(ref); }

  // Callbacks for one fetch or push, with what they learn reset; `this` must outlive the operation.
  git_remote_callbacks callbacks();

  // "push to URL failed: reason", with the URL's and the token's secrets redacted.
  Error failure(const std::string &reason) const;
  // failure(what + why): why a callback refused when one did, else libgit2's message for `code`.
  Error git_failure(const std::string &what, int code) const;

  // The references the remote refused in the last push, with its status texts.
  const std::vector<RefRefusal> &rejections() const { return m_rejections; }
  // The remote branch as the last push found it (nullopt: it did not exist, or nothing was negotiated).
  const std::optional<git_oid> &before() const { return m_before; }
  // What the last push offered for the remote branch (nullopt: no update was negotiated).
  const std::optional<git_oid> &sent() const { return m_sent; }

private:
  template <typename Body> static int guarded(void *payload, int code, const char *what, Body body) noexcept;
  static int on_credentials(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed,
                            void *payload);
  static int on_certificate(git_cert *cert, int valid, const char *host, void *payload);
  static int on_negotiation(const git_push_update **updates, size_t count, void *payload);
  static int on_update_status(const char *refname, const char *status, void *payload);

  int credentials(git_credential **out, const char *user_from_url, unsigned int allowed);
  int ssh_credentials(git_credential **out, const std::string &user);
  int token_credentials(git_credential **out);
  int tls_certificate(const git_cert_x509 &cert, const std::string &host);
  int host_key(const git_cert_hostkey &cert, const std::string &host, bool listed_for_libgit2);
  bool first_try(unsigned int type);
  int refuse(std::string reason, int code = GIT_EAUTH);
  std::string scrub(std::string text) const;

  const PushSettings &m_push;
  RemoteUrl m_remote;
  std::optional<std::string> m_token;
  std::vector<std::filesystem::path> m_known_hosts;
  std::string m_remote_ref;
  unsigned int m_tried = 0; // credential types already offered
  std::string m_refusal;    // why a callback said no
  std::vector<RefRefusal> m_rejections;
  std::optional<git_oid> m_before; // the remote branch as the push found it
  std::optional<git_oid> m_sent;   // what the push offered
};

} // namespace tasksync::publish_detail
