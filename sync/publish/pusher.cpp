#include "publish/pusher.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "pack/abandoned_packs.hpp"
#include "api/base64.hpp"
#include "config/base_url.hpp"
#include "git/branch_update.hpp"
#include "git/commit_replay.hpp"
#include "base/git_handles.hpp"
#include "base/log.hpp"
#include "api/retry.hpp"
#include "base/text.hpp"

namespace tasksync {
namespace {

constexpr int kRounds = 5;
constexpr std::chrono::milliseconds kBackoffBase{100};
constexpr std::chrono::milliseconds kBackoffCap{2000};
constexpr const char *kTrackingPrefix = "refs/remotes/tasksync/";
constexpr const char *kTokenUser = "x-access-token";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

void replace_all(std::string &text, const std::string &from, const std::string &to) {
  if (from.empty()) return;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// ---- the remote's URL ----

enum class Transport { local, ssh, http, other };

// push.remote taken apart: how to reach it and how to name it in messages.
struct RemoteUrl {
  std::string url;     // as configured
  std::string display; // without credentials
  std::string secret;  // a password in the URL's user info, to keep out of messages
  Transport transport = Transport::other;
  std::filesystem::path path; // local remotes
  int port = 22;              // ssh remotes
};

// "user@host:path" (scp-like) is ssh to git and libgit2; anything else without a scheme is a path.
bool is_scp_like(const std::string &remote) {
  const std::size_t colon = remote.find(':');
  return colon != std::string::npos && colon > 0 && remote.find('/') > colon && remote[0] != '.';
}

int port_of(std::string_view host_port, int fallback) {
  const std::size_t bracket = host_port.rfind(']');
  const std::size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) return fallback;
  const std::string digits(host_port.substr(colon + 1));
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return fallback;
  }
  return std::atoi(digits.c_str());
}

RemoteUrl parse_remote(const std::string &remote) {
  RemoteUrl result{remote, remote, {}, Transport::local, remote, 22};
  // Schemes in any case: libgit2 picks its transport case-insensitively (transport.c, strncasecmp).
  const auto parts = split_url(remote);
  if (!parts) {
    if (is_scp_like(remote)) result.transport = Transport::ssh;
    return result;
  }
  if (parts->scheme == "file") {
    result.path = parts->rest; // file:///srv/x.git and file://localhost/srv/x.git
    return result;
  }
  if (parts->scheme == "ssh" || parts->scheme == "ssh+git" || parts->scheme == "git+ssh") {
    result.transport = Transport::ssh;
    result.port = port_of(parts->host_port, 22);
  } else {
    result.transport = parts->scheme == "http" || parts->scheme == "https" ? Transport::http : Transport::other;
  }
  if (parts->user_info) {
    const std::string &user_info = *parts->user_info;
    const std::size_t colon = user_info.find(':');
    if (colon != std::string::npos) result.secret = user_info.substr(colon + 1);
    // Over http a token may sit in the user name itself (https://TOKEN@host/...): drop it all.
    const std::string shown = result.transport == Transport::http ? "" : user_info.substr(0, colon) + "@";
    result.display = parts->scheme + "://" + shown + parts->host_port + parts->rest;
  }
  return result;
}

// ---- known_hosts ----

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(separator, start)) != std::string_view::npos; start = at + 1) {
    parts.emplace_back(text.substr(start, at - start));
  }
  parts.emplace_back(text.substr(start));
  return parts;
}

std::vector<std::string> fields_of(const std::string &line) {
  std::istringstream in(line);
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// OpenSSH's patterns: '*' and '?' only ('[' is literal, as in "[host]:2222").
bool wildcard_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '*') {
    for (std::size_t skip = 0; skip <= text.size(); ++skip) {
      if (wildcard_match(pattern.substr(1), text.substr(skip))) return true;
    }
    return false;
  }
  if (text.empty() || (pattern[0] != '?' && pattern[0] != text[0])) return false;
  return wildcard_match(pattern.substr(1), text.substr(1));
}

// "|1|base64(salt)|base64(HMAC-SHA1(salt, host))", as `ssh-keygen -H` writes.
bool hashed_host_matches(const std::string &field, const std::string &host) {
  const std::vector<std::string> parts = split(field, '|');
  if (parts.size() != 4 || !parts[0].empty() || parts[1] != "1") return false;
  auto salt = decode_base64(parts[2]);
  auto expected = decode_base64(parts[3]);
  if (!salt || !expected) return false;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
            reinterpret_cast<const unsigned char *>(host.data()), host.size(), digest, &length)) {
    return false;
  }
  return length == expected->size() && CRYPTO_memcmp(digest, expected->data(), length) == 0;
}

bool host_matches(const std::string &patterns, const std::string &host) {
  if (starts_with(patterns, "|")) return hashed_host_matches(patterns, host);
  bool matched = false;
  for (const std::string &pattern : split(patterns, ',')) {
    const bool negated = starts_with(pattern, "!");
    if (!wildcard_match(ascii_lower(negated ? pattern.substr(1) : pattern), host)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

using KeyMatcher = std::function<bool(const std::string &blob)>;

// What the known_hosts files say about one host and key.
struct HostKeyFindings {
  bool listed = false;   // some line names the host
  bool accepted = false; // some line names the host with this key
  bool revoked = false;  // a @revoked line holds this key
};

void scan_known_hosts(const std::filesystem::path &file, const std::string &host, const KeyMatcher &matches,
                      HostKeyFindings &findings) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields = fields_of(line);
    if (fields.empty() || starts_with(fields[0], "#")) continue;
    std::string marker;
    if (starts_with(fields[0], "@")) {
      marker = fields[0];
      fields.erase(fields.begin());
    }
    if (fields.size() < 3 || marker == "@cert-authority") continue; // host certificates are not supported
    auto blob = decode_base64(fields[2]);
    if (!blob) continue;
    if (marker == "@revoked") {
      findings.revoked = findings.revoked || matches(*blob);
      continue;
    }
    if (!marker.empty() || !host_matches(fields[0], host)) continue;
    findings.listed = true;
    findings.accepted = findings.accepted || matches(*blob);
  }
}

std::string joined(const std::vector<std::filesystem::path> &files) {
  std::string text;
  for (const auto &file : files)
    text += (text.empty() ? "" : ", ") + file.string();
  return text;
}

Result<void> check_host_key(const std::string &host, const KeyMatcher &matches,
                            const std::vector<std::filesystem::path> &files) {
  HostKeyFindings findings;
  const std::string name = ascii_lower(host);
  for (const auto &file : files)
    scan_known_hosts(file, name, matches, findings);
  if (findings.revoked) return Error{"the ssh host key of " + host + " is marked @revoked in known_hosts"};
  if (findings.accepted) return {};
  if (findings.listed) {
    return Error{"the ssh host key of " + host + " does not match known_hosts (" + joined(files) +
                 "): the key changed or someone is intercepting the connection"};
  }
  return Error{"the ssh host " + host + " is not in known_hosts (" + joined(files) +
               "); add its key (ssh-keyscan, after checking the fingerprint)"};
}

std::string sha256(const std::string &data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char *>(digest), length);
}

// ---- one push: the state the libgit2 callbacks share ----

class Session {
public:
  Session(const PushSettings &push, RemoteUrl remote, std::optional<std::string> token)
      : m_push(push), m_remote(std::move(remote)), m_token(std::move(token)),
        m_known_hosts(default_known_hosts_files()) {}

  const RemoteUrl &remote() const { return m_remote; }
  const std::string &remote_ref() const { return m_remote_ref; }
  void set_remote_ref(std::string ref) { m_remote_ref = std::move(ref); }

  // Callbacks for a fetch or a push; `this` must outlive the operation.
  git_remote_callbacks callbacks() {
    m_tried = 0; // each connection may try each kind of credentials once
    m_refusal.clear();
    m_rejections.clear();
    m_before.reset();
    m_sent.reset();
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    callbacks.credentials = &Session::on_credentials;
    callbacks.certificate_check = &Session::on_certificate;
    callbacks.push_negotiation = &Session::on_negotiation;
    callbacks.push_update_reference = &Session::on_update_status;
    callbacks.payload = this;
    return callbacks;
  }

  // "push to URL failed: reason", with the reason a callback gave when it refused.
  Error failure(const std::string &reason) const {
    return Error{scrub("push to " + m_remote.display + " failed: " + reason)};
  }
  Error git_failure(const std::string &what, int code) const {
    return failure(what + (m_refusal.empty() ? git_error_text(code) : m_refusal));
  }

  const std::vector<std::string> &rejections() const { return m_rejections; }
  const std::optional<git_oid> &before() const { return m_before; }
  const std::optional<git_oid> &sent() const { return m_sent; }

private:
  // Runs a callback's body; a C++ exception must never unwind through libgit2's C frames.
  template <typename Body> static int guarded(void *payload, int code, const char *what, Body body) noexcept {
    auto &session = *static_cast<Session *>(payload);
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

  static int on_credentials(git_credential **out, const char *, const char *user_from_url, unsigned int allowed,
                            void *payload) {
    return guarded(payload, GIT_EAUTH, "credentials",
                   [&](Session &session) { return session.credentials(out, user_from_url, allowed); });
  }

  static int on_certificate(git_cert *cert, int, const char *host, void *payload) {
    return guarded(payload, GIT_ECERTIFICATE, "host key check", [&](Session &session) -> int {
      // TLS certificates: libgit2 has verified them against the system store; keep its verdict.
      if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return GIT_PASSTHROUGH;
      // libgit2 1.5.1 checks only $HOME/.ssh/known_hosts (its verdict is the unnamed `valid`, and
      // passing through would keep it); deciding here makes /etc/ssh/ssh_known_hosts count too.
      return session.host_key(*reinterpret_cast<const git_cert_hostkey *>(cert), host ? host : "");
    });
  }

  static int on_negotiation(const git_push_update **updates, size_t count, void *payload) {
    return guarded(payload, GIT_EUSER, "push negotiation", [&](Session &session) {
      for (std::size_t i = 0; i < count; ++i) {
        if (session.m_remote_ref != updates[i]->dst_refname) continue;
        if (!git_oid_is_zero(&updates[i]->src)) session.m_before = updates[i]->src;
        session.m_sent = updates[i]->dst;
      }
      return 0;
    });
  }

  static int on_update_status(const char *, const char *status, void *payload) {
    return guarded(payload, GIT_EUSER, "push status", [&](Session &session) {
      if (status) session.m_rejections.emplace_back(status);
      return 0;
    });
  }

  int credentials(git_credential **out, const char *user_from_url, unsigned int allowed) {
    const std::string user = user_from_url && *user_from_url ? user_from_url : "git";
    if ((allowed & GIT_CREDENTIAL_USERNAME) && first_try(GIT_CREDENTIAL_USERNAME)) {
      return git_credential_username_new(out, user.c_str());
    }
    if (allowed & GIT_CREDENTIAL_SSH_KEY) return ssh_credentials(out, user);
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) return token_credentials(out);
    return refuse("the remote asks for a kind of credentials tasksync does not support");
  }

  int ssh_credentials(git_credential **out, const std::string &user) {
    // libgit2 asks again after a refusal; offering the same thing again would loop forever.
    const bool first = first_try(GIT_CREDENTIAL_SSH_KEY);
    if (m_push.ssh_key_file) {
      if (first) return git_credential_ssh_key_new(out, user.c_str(), nullptr, m_push.ssh_key_file->c_str(), nullptr);
      return refuse("the ssh server refused the key in " + m_push.ssh_key_file->string() + " for user " + user);
    }
    const char *agent = std::getenv("SSH_AUTH_SOCK");
    if (first && (!agent || !*agent)) {
      return refuse("no ssh key: SSH_AUTH_SOCK is not set (no ssh-agent) and repo.push.ssh_key_file is not set");
    }
    if (first) return git_credential_ssh_key_from_agent(out, user.c_str());
    return refuse("the ssh server refused the keys ssh-agent offered for user " + user +
                  " (is SSH_AUTH_SOCK set? repo.push.ssh_key_file names a key file instead)");
  }

  int token_credentials(git_credential **out) {
    if (!m_token) return refuse("the remote asks for credentials; set repo.push.token_file");
    if (first_try(GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
      return git_credential_userpass_plaintext_new(out, kTokenUser, m_token->c_str());
    }
    return refuse("the remote rejected the token in " + m_push.token_file->string());
  }

  int host_key(const git_cert_hostkey &cert, const std::string &host) {
    const std::string name = m_remote.port == 22 ? host : "[" + host + "]:" + std::to_string(m_remote.port);
    KeyMatcher matches;
    if (cert.type & GIT_CERT_SSH_RAW) {
      const std::string raw(cert.hostkey, cert.hostkey_len);
      matches = [raw](const std::string &blob) { return blob == raw; };
    } else if (cert.type & GIT_CERT_SSH_SHA256) {
      const std::string hash(reinterpret_cast<const char *>(cert.hash_sha256), sizeof cert.hash_sha256);
      matches = [hash](const std::string &blob) { return sha256(blob) == hash; };
    } else {
      return refuse("cannot check the ssh host key of " + host + ": libgit2 gave neither the key nor its SHA-256",
                    GIT_ECERTIFICATE);
    }
    auto checked = check_host_key(name, matches, m_known_hosts);
    if (!checked) return refuse(checked.error().message, GIT_ECERTIFICATE);
    return 0;
  }

  bool first_try(unsigned int type) {
    if (m_tried & type) return false;
    m_tried |= type;
    return true;
  }

  int refuse(std::string reason, int code = GIT_EAUTH) {
    m_refusal = std::move(reason);
    return code;
  }

  // Messages may quote the URL (libgit2's do): keep secrets out of them.
  std::string scrub(std::string text) const {
    replace_all(text, m_remote.url, m_remote.display);
    if (!m_remote.secret.empty()) replace_all(text, m_remote.secret, "<redacted>");
    if (m_token && !m_token->empty()) replace_all(text, *m_token, "<redacted>");
    return text;
  }

  const PushSettings &m_push;
  RemoteUrl m_remote;
  std::optional<std::string> m_token;
  std::vector<std::filesystem::path> m_known_hosts;
  std::string m_remote_ref;
  unsigned int m_tried = 0; // credential types already offered
  std::string m_refusal;    // why a callback said no
  std::vector<std::string> m_rejections;
  std::optional<git_oid> m_before; // the remote branch as the push found it
  std::optional<git_oid> m_sent;   // what the push offered
};

Result<std::optional<std::string>> read_token(const PushSettings &push) {
  if (!push.token_file) return std::optional<std::string>{};
  std::ifstream in(*push.token_file, std::ios::binary);
  if (!in) return Error{"cannot read repo.push.token_file " + push.token_file->string() + ": " + std::strerror(errno)};
  std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!token.empty() && token.back() == '\n') token.pop_back();
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.empty()) return Error{"repo.push.token_file " + push.token_file->string() + " is empty"};
  if (std::any_of(token.begin(), token.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return Error{"repo.push.token_file " + push.token_file->string() + " holds a line break or control character"};
  }
  log::add_secret(token);
  return std::optional<std::string>(std::move(token));
}

// ---- reading the repository ----

std::string commits_text(std::size_t count) { return std::to_string(count) + (count == 1 ? " commit" : " commits"); }

std::string short_id(const git_oid &id) {
  char text[8] = {};
  git_oid_tostr(text, sizeof text, &id);
  return text;
}

Result<RepositoryPtr> open_repository(const std::filesystem::path &path) {
  git_repository *raw = nullptr;
  if (const int rc = git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr); rc < 0) {
    return git_error("cannot open repository " + path.string(), rc);
  }
  return RepositoryPtr(raw);
}

// ---- replaying local commits on the remote branch ----

// Moves the branch from `from` to `to` with the work tree and index, or changes nothing.
Result<void> move_branch(git_repository *repo, const std::string &branch_ref, const git_oid &from, const git_oid &to,
                         const std::string &reason) {
  auto current = read_ref(repo, branch_ref);
  if (!current) return current.error();
  if (!*current || !git_oid_equal(&**current, &from)) {
    return Error{branch_ref + " moved during the push; nothing was changed, the next push tries again"};
  }
  if (git_oid_equal(&from, &to)) return {};
  // Work tree and index first, as the mirror does: a failure in between leaves HEAD as it was.
  // Another branch checked out keeps its files; only the branch moves.
  const bool on_branch = checkout_follows(repo, branch_ref);
  if (on_branch) {
    if (auto checked_out = check_out_change(repo, from, to); !checked_out) return checked_out.error();
  }
  if (auto moved = swap_branch(repo, branch_ref, from, to, reason); !moved) {
    const std::string &why = moved.error().why;
    if (auto restored = on_branch ? check_out_change(repo, to, from) : Result<void>{}; !restored) {
      return Error{"cannot move " + branch_ref + " (" + why +
                   "), and restoring the work tree failed: " + restored.error().message};
    }
    return Error{"cannot move " + branch_ref + ": " + why + "; nothing was changed, the next push tries again"};
  }
  return {};
}

// Rebuilds the local commits the remote lacks on top of its tip and moves the branch, work
// tree and index there; the number of commits rebuilt (those that changed something).
Result<std::size_t> replay(git_repository *repo, const std::string &branch_ref, const git_oid &local_tip,
                           const git_oid &remote_tip, const std::string &shown) {
  auto commits = commits_between(repo, local_tip, remote_tip);
  if (!commits) return commits.error();
  auto replayed = replay_commits(repo, *commits, remote_tip);
  if (!replayed) return replayed.error();
  if (auto moved = move_branch(repo, branch_ref, local_tip, replayed->tip, "tasksync: replay onto " + shown); !moved) {
    return moved.error();
  }
  const std::size_t rebuilt_count = replayed->count();
  std::string line =
      "push to " + shown + ": replayed " + commits_text(rebuilt_count) + " on top of " + short_id(remote_tip);
  if (rebuilt_count < commits->size()) {
    line += " (" + std::to_string(commits->size() - rebuilt_count) + " dropped: they changed nothing there)";
  }
  log::info(line);
  return rebuilt_count;
}

// ---- talking to the remote ----

// How one attempt to update the remote branch ended.
struct Sent {
  bool accepted = false;
  std::optional<git_oid> before; // the remote branch before, when it existed
  git_oid tip{};                 // what was offered
};

bool means_remote_moved(const std::string &status) {
  for (const char *hint : {"non-fast-forward", "fetch first", "stale info", "lock", "failed to update ref"}) {
    if (status.find(hint) != std::string::npos) return true;
  }
  return false;
}

Result<RemotePtr> anonymous_remote(git_repository *repo, Session &session) {
  git_remote *raw = nullptr;
  const std::string url =
      session.remote().transport == Transport::local ? session.remote().path.string() : session.remote().url;
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = repo; // no name: an anonymous remote, nothing written to the config
  // repo.push.remote says exactly where to go; url.*.insteadOf in the mirror's config must not redirect it.
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  if (const int rc = git_remote_create_with_opts(&raw, url.c_str(), &options); rc < 0) {
    return session.git_failure("", rc);
  }
  return RemotePtr(raw);
}

// ssh and https: libgit2's smart protocol, where the server compares and swaps the branch.
Result<Sent> send_with_libgit2(git_repository *repo, Session &session, const std::string &branch_ref,
                               const git_oid &tip) {
  auto remote = anonymous_remote(repo, session);
  if (!remote) return remote.error();
  git_push_options options = GIT_PUSH_OPTIONS_INIT;
  options.callbacks = session.callbacks();
  std::string refspec = branch_ref + ":" + session.remote_ref();
  char *specs[] = {refspec.data()};
  const git_strarray refspecs = {specs, 1};
  const int rc = git_remote_push(remote->get(), &refspecs, &options);
  Sent sent{false, session.before(), session.sent().value_or(tip)};
  if (!session.sent()) sent.before = tip; // no update was negotiated: nothing went out
  if (rc == GIT_ENONFASTFORWARD) return sent;
  if (rc < 0) return session.git_failure("", rc);
  for (const std::string &status : session.rejections()) {
    if (!means_remote_moved(status))
      return session.failure("the remote refused " + session.remote_ref() + ": " + status);
  }
  sent.accepted = session.rejections().empty();
  return sent;
}

struct PackSink {
  git_odb_writepack *writer;
  git_indexer_progress *progress;
};

int append_to_pack(void *data, size_t size, void *payload) {
  auto *sink = static_cast<PackSink *>(payload);
  return sink->writer->append(sink->writer, data, size, sink->progress);
}

// Copies the objects of the commits `remote` lacks into its object database as one pack.
Result<void> copy_objects(git_repository *repo, git_repository *remote, const git_oid &tip,
                          const std::optional<git_oid> &before) {
  git_packbuilder *builder_raw = nullptr;
  if (const int rc = git_packbuilder_new(&builder_raw, repo); rc < 0)
    return git_error("cannot pack", rc);
  const PackBuilderPtr builder(builder_raw);
  git_revwalk *walk_raw = nullptr;
  if (const int rc = git_revwalk_new(&walk_raw, repo); rc < 0)
    return git_error("cannot walk history", rc);
  const RevwalkPtr walk(walk_raw);
  if (const int rc = git_revwalk_push(walk_raw, &tip); rc < 0)
    return git_error("cannot walk history", rc);
  if (before) {
    if (const int rc = git_revwalk_hide(walk_raw, &*before); rc < 0)
      return git_error("cannot walk history", rc);
  }
  if (const int rc = git_packbuilder_insert_walk(builder_raw, walk_raw); rc < 0) {
    return git_error("cannot pack the commits", rc);
  }
  if (git_packbuilder_object_count(builder_raw) == 0) return {};
  git_odb *odb_raw = nullptr;
  if (const int rc = git_repository_odb(&odb_raw, remote); rc < 0)
    return git_error("cannot open its objects", rc);
  const OdbPtr odb(odb_raw);
  git_odb_writepack *writer = nullptr;
  if (const int rc = git_odb_write_pack(&writer, odb_raw, nullptr, nullptr); rc < 0) {
    return git_error("cannot write a pack", rc);
  }
  const std::unique_ptr<git_odb_writepack, void (*)(git_odb_writepack *)> owned(
      writer, [](git_odb_writepack *w) { w->free(w); });
  git_indexer_progress progress{};
  PackSink sink{writer, &progress};
  if (const int rc = git_packbuilder_foreach(builder_raw, &append_to_pack, &sink); rc < 0) {
    return git_error("cannot write a pack", rc);
  }
  if (const int rc = writer->commit(writer, &progress); rc < 0)
    return git_error("cannot write a pack", rc);
  return {};
}

Result<void> refuse_checked_out_branch(git_repository *remote, const Session &session) {
  if (git_repository_is_bare(remote)) return {};
  git_reference *head = nullptr;
  if (git_reference_lookup(&head, remote, "HEAD") < 0) return {};
  const ReferencePtr owned(head);
  const char *target = git_reference_symbolic_target(head);
  if (target && session.remote_ref() == target) {
    return session.failure("it has " + session.remote_ref() +
                           " checked out; push to a bare repository (git init --bare)");
  }
  return {};
}

// Paths and file://: libgit2's local transport overwrites the remote branch without comparing
// it with what it saw, so two mirrors pushing at once could lose commits. This copies the
// objects itself and moves the branch with a compare-and-swap instead.
Result<Sent> send_locally(git_repository *repo, Session &session, const git_oid &tip) {
  const std::filesystem::path &path = session.remote().path;
  git_repository *raw = nullptr;
  if (const int rc = git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr); rc < 0) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) return session.failure(path.string() + " does not exist");
    return session.git_failure("cannot open " + path.string() + ": ", rc);
  }
  const RepositoryPtr remote(raw);
  if (auto refused = refuse_checked_out_branch(raw, session); !refused) return refused.error();
  auto before = read_ref(raw, session.remote_ref());
  if (!before) return session.failure(before.error().message);
  Sent sent{false, *before, tip};
  if (*before && git_oid_equal(&**before, &tip)) {
    sent.accepted = true;
    return sent;
  }
  git_odb *odb = nullptr;
  if (const int rc = git_repository_odb(&odb, repo); rc < 0) return session.git_failure("", rc);
  const OdbPtr local_odb(odb);
  if (*before && (!git_odb_exists(odb, &**before) || git_graph_descendant_of(repo, &tip, &**before) != 1)) {
    return sent; // not a fast-forward
  }
  remove_abandoned_packs(std::filesystem::path(git_repository_path(raw)) / "objects/pack");
  if (auto copied = copy_objects(repo, raw, tip, *before); !copied) return session.failure(copied.error().message);
  git_reference *moved = nullptr;
  const int rc = git_reference_create_matching(&moved, raw, session.remote_ref().c_str(), &tip, *before ? 1 : 0,
                                               *before ? &**before : nullptr, "tasksync: push");
  if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED || rc == GIT_ENOTFOUND) return sent;
  if (rc < 0) return session.git_failure("cannot update " + session.remote_ref() + ": ", rc);
  git_reference_free(moved);
  sent.accepted = true;
  return sent;
}

// Fetches the remote branch into the tracking ref; its tip, or nullopt if it has none.
Result<std::optional<git_oid>> fetch(git_repository *repo, Session &session, const std::string &tracking_ref) {
  auto remote = anonymous_remote(repo, session);
  if (!remote) return remote.error();
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = session.callbacks();
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  std::string refspec = "+" + session.remote_ref() + ":" + tracking_ref;
  char *specs[] = {refspec.data()};
  const git_strarray refspecs = {specs, 1};
  if (const int rc = git_remote_fetch(remote->get(), &refspecs, &options, "tasksync: fetch"); rc < 0) {
    return session.git_failure("cannot fetch " + session.remote_ref() + ": ", rc);
  }
  auto tip = read_ref(repo, tracking_ref);
  if (!tip) return session.failure(tip.error().message);
  return *tip;
}

} // namespace

std::vector<std::filesystem::path> default_known_hosts_files() {
  std::vector<std::filesystem::path> files = {"/etc/ssh/ssh_known_hosts"};
  if (const char *home = std::getenv("HOME"); home && *home)
    files.push_back(std::filesystem::path(home) / ".ssh/known_hosts");
  return files;
}

Result<void> check_known_host(const std::string &host, std::string_view key,
                              const std::vector<std::filesystem::path> &files) {
  const std::string raw(key);
  return check_host_key(
      host, [&raw](const std::string &blob) { return blob == raw; }, files);
}

namespace {

std::string remote_branch_of(const RepoSettings &settings) {
  return settings.push->branch.empty() ? settings.branch : settings.push->branch;
}

// After an accepted push: how many commits the remote gained; remembers its new tip for pending().
Result<std::size_t> record_push(git_repository *repo, const Session &session, const Sent &sent,
                                const std::string &tracking_ref) {
  auto commits = commits_between(repo, sent.tip, sent.before);
  if (!commits) return session.failure(commits.error().message);
  git_reference *raw = nullptr;
  if (const int rc = git_reference_create(&raw, repo, tracking_ref.c_str(), &sent.tip, 1, "tasksync: push"); rc < 0) {
    // The push itself succeeded; pending() overcounts until the next one.
    log::warning("push to " + session.remote().display + ": pushed, but cannot record it in " + tracking_ref + ": " +
                 git_error_text(rc));
  }
  git_reference_free(raw);
  return commits->size();
}

Result<std::optional<std::string>> token_for(const RemoteUrl &remote, const PushSettings &push) {
  if (remote.transport != Transport::http) return std::optional<std::string>{};
  auto token = read_token(push);
  if (!token) return Error{"push to " + remote.display + " failed: " + token.error().message};
  return token;
}

} // namespace

Pusher::Pusher(RepoSettings settings) : m_settings(std::move(settings)) {}

Result<PushReport> Pusher::push() {
  if (!m_settings.push) return Error{"push: repo.push is not configured"};
  ensure_libgit2();
  RemoteUrl remote = parse_remote(m_settings.push->remote);
  auto token = token_for(remote, *m_settings.push);
  if (!token) return token.error();
  Session session(*m_settings.push, std::move(remote), std::move(*token));
  const std::string remote_branch = remote_branch_of(m_settings);
  session.set_remote_ref("refs/heads/" + remote_branch);
  const std::string branch_ref = "refs/heads/" + m_settings.branch;
  const std::string tracking_ref = kTrackingPrefix + remote_branch;
  const std::string &shown = session.remote().display;
  auto repo = open_repository(m_settings.path);
  if (!repo) return session.failure(repo.error().message);

  PushReport report;
  std::mt19937_64 random{std::random_device{}()};
  for (int round = 1; round <= kRounds; ++round) {
    auto tip = read_ref(repo->get(), branch_ref);
    if (!tip) return session.failure(tip.error().message);
    if (!*tip) return report; // an unborn branch: nothing to publish yet
    auto sent = session.remote().transport == Transport::local
                    ? send_locally(repo->get(), session, **tip)
                    : send_with_libgit2(repo->get(), session, branch_ref, **tip);
    if (!sent) return sent.error();
    if (sent->accepted) {
      auto pushed = record_push(repo->get(), session, *sent, tracking_ref);
      if (!pushed) return pushed.error();
      report.pushed = *pushed;
      if (report.pushed > 0) {
        log::info("pushed " + commits_text(report.pushed) + " to " + shown + " (" + remote_branch + " at " +
                  short_id(sent->tip) + ")");
      }
      return report;
    }
    log::info("push to " + shown + ": " + remote_branch + " has commits this mirror lacks (round " +
              std::to_string(round) + " of " + std::to_string(kRounds) + "); fetching and replaying on top of them");
    if (round == kRounds) break;
    if (round > 1) std::this_thread::sleep_for(backoff_delay(round - 1, random, kBackoffBase, kBackoffCap));
    auto remote_tip = fetch(repo->get(), session, tracking_ref);
    if (!remote_tip) return remote_tip.error();
    if (!*remote_tip) continue; // the branch vanished meanwhile: the next round creates it
    auto replayed = replay(repo->get(), branch_ref, **tip, **remote_tip, shown);
    if (!replayed) return session.failure(replayed.error().message);
    report.replayed += *replayed;
  }
  return session.failure(remote_branch + " kept moving: still rejected after " + std::to_string(kRounds) +
                         " rounds; the local commits are kept for the next push");
}

Result<std::size_t> Pusher::pending() const {
  if (!m_settings.push) return Error{"push: repo.push is not configured"};
  ensure_libgit2();
  auto repo = open_repository(m_settings.path);
  if (!repo) return repo.error();
  auto tip = read_ref(repo->get(), "refs/heads/" + m_settings.branch);
  if (!tip) return tip.error();
  if (!*tip) return std::size_t{0};
  auto remote_tip = read_ref(repo->get(), kTrackingPrefix + remote_branch_of(m_settings));
  if (!remote_tip) return remote_tip.error();
  auto commits = commits_between(repo->get(), **tip, *remote_tip);
  if (!commits) return commits.error();
  return commits->size();
}

} // namespace tasksync
