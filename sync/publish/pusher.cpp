#include "publish/pusher.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>

#include "api/retry.hpp"
#include "base/git_handles.hpp"
#include "base/log.hpp"
#include "git/branch_update.hpp"
#include "git/commit_replay.hpp"
#include "git/git_dir_files.hpp"
#include "publish/draft_refs.hpp"
#include "publish/local_transport.hpp"
#include "publish/network_bound.hpp"
#include "publish/push_session.hpp"
#include "publish/remote_url.hpp"
#include "publish/ssh_home_bypass.hpp"
#include "publish/ssh_key.hpp"

namespace tasksync {

using namespace publish_detail;

namespace {

constexpr int kRounds = 5;
constexpr std::chrono::milliseconds kBackoffBase{100};
constexpr std::chrono::milliseconds kBackoffCap{2000};

std::string commits_text(std::size_t count) { return std::to_string(count) + (count == 1 ? " commit" : " commits"); }

std::string short_id(const git_oid &id) {
  char text[8] = {};
  git_oid_tostr(text, sizeof text, &id);
  return text;
}

std::string remote_branch_of(const RepoSettings &settings) {
  return settings.push->branch.empty() ? settings.branch : settings.push->branch;
}

Result<std::size_t> replay(Mirror &mirror, const git_oid &local_tip, const git_oid &remote_tip,
                           const std::string &shown) {
  git_repository *repo = mirror.repository();
  TRY_ASSIGN(const auto commits, commits_between(repo, local_tip, remote_tip));
  TRY_ASSIGN(const ReplayedCommits replayed, replay_commits(repo, commits, remote_tip, mirror.replay_signing()));
  TRY(mirror.adopt_replayed_commits(local_tip, commits, replayed, "tasksync: replay onto " + shown));
  const std::size_t rebuilt = replayed.count();
  std::string line = "push to " + shown + ": replayed " + commits_text(rebuilt) + " on top of " + short_id(remote_tip);
  if (rebuilt < commits.size()) {
    line += " (" + std::to_string(commits.size() - rebuilt) + " dropped: they changed nothing there)";
  }
  log::info(line);
  return rebuilt;
}

bool means_remote_moved(const std::string &status) {
  for (const char *hint : {"non-fast-forward", "fetch first", "stale info", "lock", "failed to update ref"}) {
    if (status.find(hint) != std::string::npos) return true;
  }
  return false;
}

Result<RemotePtr> anonymous_remote(git_repository *repo, PushSession &session) {
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

// A libgit2 operation that failed: why the bound ended it when it did, else what a callback or
// libgit2 said.
Error network_failure(const PushSession &session, const NetworkBound &bound, const std::string &what, int code) {
  switch (bound.end()) {
  case BoundEnd::timed_out:
    return session.failure(what + "no answer within " + std::to_string(bound.limit().count()) +
                           " s (repo.push.timeout_seconds)");
  case BoundEnd::stopped: return session.failure(what + "stopped: tasksyncd is stopping");
  case BoundEnd::elsewhere:
    return session.failure("the remote redirected to " + bound.refused() + "; tasksync sends nothing there (it " +
                           "connects only to " +
                           host_and_port(session.remote().host, std::to_string(session.remote().port)) +
                           ", repo.push.remote's host and port)");
  case BoundEnd::none: break;
  }
  return session.git_failure(what, code);
}

// ssh and https: libgit2's smart protocol, where the server compares and swaps the branch. The
// draft branches go in the same push, forced (+) or deleted (:), each accepted or refused alone.
Result<PushAttempt> push_with_libgit2(git_repository *repo, PushSession &session, const NetworkBound &bound,
                                      const std::string &branch_ref, const git_oid &tip,
                                      const std::vector<DraftRefUpdate> &drafts) {
  TRY_ASSIGN(const RemotePtr remote, anonymous_remote(repo, session));
  git_push_options options = GIT_PUSH_OPTIONS_INIT;
  options.callbacks = session.callbacks();
  std::vector<std::string> refspecs_text{branch_ref + ":" + session.remote_ref()};
  for (const DraftRefUpdate &draft : drafts)
    refspecs_text.push_back(draft.target ? "+" + draft.ref + ":" + draft.ref : ":" + draft.ref);
  std::vector<char *> specs;
  for (std::string &refspec : refspecs_text)
    specs.push_back(refspec.data());
  const git_strarray refspecs = {specs.data(), specs.size()};
  const int rc = [&] {
    const SshHomeBypass no_known_hosts_leak(session.remote().transport == Transport::ssh);
    return git_remote_push(remote.get(), &refspecs, &options);
  }();
  PushAttempt attempt{false, session.before(), session.sent().value_or(tip), {}, {}};
  if (!session.sent()) attempt.before = tip;     // no update was negotiated: nothing went out
  if (rc == GIT_ENONFASTFORWARD) return attempt; // refused before sending anything, drafts included
  if (rc < 0) return network_failure(session, bound, "", rc);
  bool branch_refused = false;
  for (const RefRefusal &refusal : session.rejections()) {
    if (refusal.ref != session.remote_ref()) {
      attempt.drafts_refused.push_back(refusal);
    } else if (means_remote_moved(refusal.why)) {
      branch_refused = true;
    } else {
      return session.failure("the remote refused " + session.remote_ref() + ": " + refusal.why);
    }
  }
  for (const DraftRefUpdate &draft : drafts) {
    const bool refused = std::any_of(attempt.drafts_refused.begin(), attempt.drafts_refused.end(),
                                     [&](const RefRefusal &refusal) { return refusal.ref == draft.ref; });
    if (!refused) attempt.drafts_done.push_back(draft);
  }
  attempt.accepted = !branch_refused;
  return attempt;
}

Result<std::optional<git_oid>> fetch(git_repository *repo, PushSession &session, const NetworkBound &bound,
                                     const std::string &tracking_ref) {
  TRY_ASSIGN(const RemotePtr remote, anonymous_remote(repo, session));
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = session.callbacks();
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  std::string refspec = "+" + session.remote_ref() + ":" + tracking_ref;
  char *specs[] = {refspec.data()};
  const git_strarray refspecs = {specs, 1};
  clear_reflog_paths(repo, tracking_ref);
  const int rc = [&] {
    const SshHomeBypass no_known_hosts_leak(session.remote().transport == Transport::ssh);
    return git_remote_fetch(remote.get(), &refspecs, &options, "tasksync: fetch");
  }();
  if (rc < 0) {
    return network_failure(session, bound, "cannot fetch " + session.remote_ref() + ": ", rc);
  }
  auto tip = read_ref(repo, tracking_ref);
  if (!tip) return session.failure(tip.error().message);
  return *tip;
}

Result<std::size_t> record_push(git_repository *repo, const PushSession &session, const PushAttempt &attempt,
                                const std::string &tracking_ref) {
  auto commits = commits_between(repo, attempt.tip, attempt.before);
  if (!commits) return session.failure(commits.error().message);
  git_reference *raw = nullptr;
  clear_reflog_paths(repo, tracking_ref);
  const int rc = git_reference_create(&raw, repo, tracking_ref.c_str(), &attempt.tip, 1, "tasksync: push");
  const ReferencePtr recorded(raw);
  if (rc < 0) {
    // The push itself succeeded; pending() overcounts until the next one.
    log::warning("push to " + session.remote().display + ": pushed, but cannot record it in " + tracking_ref + ": " +
                 git_error_text(rc));
  }
  return commits->size();
}

// Remembers the draft branches `attempt` left on the remote, and says how many.
void record_drafts(git_repository *repo, const PushSession &session, const PushAttempt &attempt) {
  std::size_t set = 0;
  for (const DraftRefUpdate &draft : attempt.drafts_done) {
    if (draft.target) ++set;
    if (auto recorded = record_draft_push(repo, draft); !recorded) {
      // Pushed all the same; the next push offers it again, which changes nothing there.
      log::warning("push to " + session.remote().display + ": pushed " + draft.ref +
                   ", but cannot record it: " + recorded.error().message);
    }
  }
  const std::size_t deleted = attempt.drafts_done.size() - set;
  if (!attempt.drafts_done.empty()) {
    log::info("pushed draft branches to " + session.remote().display + ": " + std::to_string(set) +
              " created or moved, " + std::to_string(deleted) + " deleted");
  }
}

// The failure for draft branches the remote refused, the branch itself pushed.
Error drafts_refused(const PushSession &session, const std::vector<RefRefusal> &refused,
                     const std::string &remote_branch, const std::string &prefix) {
  std::string reason = "the remote refused the draft branch " + refused.front().ref + ": " + refused.front().why;
  if (refused.size() > 1) reason += " (and " + std::to_string(refused.size() - 1) + " more draft branches)";
  return session.failure(reason + "; " + remote_branch + " itself is pushed. Draft branches are created, moved " +
                         "by force and deleted under refs/heads/" + prefix + ": let the remote allow that there, " +
                         "or set repo.drafts: false");
}

} // namespace

Pusher::Pusher(RepoSettings settings) : m_settings(std::move(settings)) {}

Result<PushReport> Pusher::push(Mirror &mirror, std::stop_token stop) {
  if (!m_settings.push) return Error{"push: repo.push is not configured"};
  RemoteUrl remote = parse_remote(m_settings.push->remote);
  std::optional<std::string> token;
  if (uses_token(remote)) {
    auto read = read_token(*m_settings.push);
    if (!read) return Error{"push to " + remote.display + " failed: " + read.error().message};
    token = std::move(*read);
  }
  if (remote.transport == Transport::ssh && m_settings.push->ssh_key_file) {
    // libssh2 would say "Unable to open private key file", with neither the path nor the reason.
    if (auto key = check_ssh_key_file(*m_settings.push->ssh_key_file, m_settings.push->ssh_key_name()); !key) {
      return Error{"push to " + remote.display + " failed: " + key.error().message};
    }
  }
  PushSession session(*m_settings.push, std::move(remote), std::move(token));
  const std::string remote_branch = remote_branch_of(m_settings);
  session.set_remote_ref("refs/heads/" + remote_branch);
  const std::string branch_ref = "refs/heads/" + m_settings.branch;
  const std::string tracking_ref = tracking_ref_of(remote_branch);
  const std::string &shown = session.remote().display;

  PushReport report;
  if (!mirror.repository()) return report; // a read-only view of a repository not created yet
  // One bound for every round's network work, so that the pass, a stop and the watchdog can count
  // on one number for the whole push (libgit2's local transport opens no socket: nothing to bound).
  auto bound = NetworkBound::start(session.remote().host, session.remote().port, m_settings.push->timeout, stop);
  if (!bound) return session.failure(bound.error().message);
  std::mt19937_64 random{std::random_device{}()};
  for (int round = 1; round <= kRounds; ++round) {
    git_repository *repo = mirror.repository();
    auto tip = read_ref(repo, branch_ref);
    if (!tip) return session.failure(tip.error().message);
    if (!*tip) return report; // an unborn branch: nothing to publish yet
    // Draft branches are built on the branch tip: once a replay moved it they wait for the caller
    // to rebuild them (PushReport::branch_moved), rather than publish commits the branch left.
    std::vector<DraftRefUpdate> drafts;
    if (!report.branch_moved) {
      auto updates = draft_updates(mirror);
      if (!updates) return session.failure(updates.error().message);
      drafts = std::move(*updates);
    }
    TRY_ASSIGN(const PushAttempt attempt, session.remote().transport == Transport::local
                                              ? push_to_local_remote(repo, session, **tip, drafts)
                                              : push_with_libgit2(repo, session, **bound, branch_ref, **tip, drafts));
    record_drafts(repo, session, attempt);
    if (attempt.accepted) {
      TRY_ASSIGN(report.pushed, record_push(repo, session, attempt, tracking_ref));
      if (report.pushed > 0) {
        log::info("pushed " + commits_text(report.pushed) + " to " + shown + " (" + remote_branch + " at " +
                  short_id(attempt.tip) + ")");
      }
      if (!attempt.drafts_refused.empty()) {
        return drafts_refused(session, attempt.drafts_refused, remote_branch, m_settings.drafts_prefix);
      }
      return report;
    }
    log::info("push to " + shown + ": " + remote_branch + " has commits this mirror lacks (round " +
              std::to_string(round) + " of " + std::to_string(kRounds) + "); fetching and replaying on top of them");
    if (round == kRounds) break;
    if (round > 1) {
      std::mutex mutex;
      std::condition_variable_any sleeper;
      std::unique_lock lock(mutex);
      // A stop ends the wait; over the network the fetch after it then fails at once, saying so.
      sleeper.wait_for(lock, stop, backoff_delay(round - 1, random, kBackoffBase, kBackoffCap), [] { return false; });
    }
    TRY_ASSIGN(const auto remote_tip, fetch(repo, session, **bound, tracking_ref));
    if (!remote_tip) continue; // the branch vanished meanwhile: the next round creates it
    auto replayed = replay(mirror, **tip, *remote_tip, shown);
    if (!replayed) return session.failure(replayed.error().message);
    report.replayed += *replayed;
    report.branch_moved = true;
  }
  return session.failure(remote_branch + " kept moving: still rejected after " + std::to_string(kRounds) +
                         " rounds; the local commits are kept for the next push");
}

Result<std::size_t> Pusher::pending(const Mirror &mirror) const {
  if (!m_settings.push) return Error{"push: repo.push is not configured"};
  git_repository *repo = mirror.repository();
  if (!repo) return std::size_t{0}; // a read-only view of a repository not created yet
  TRY_ASSIGN(const auto tip, read_ref(repo, "refs/heads/" + m_settings.branch));
  if (!tip) return std::size_t{0};
  TRY_ASSIGN(const auto remote_tip, read_ref(repo, tracking_ref()));
  TRY_ASSIGN(const auto commits, commits_between(repo, *tip, remote_tip));
  return commits.size();
}

Result<std::size_t> Pusher::pending_drafts(const Mirror &mirror) const {
  TRY_ASSIGN(const auto updates, draft_updates(mirror));
  return updates.size();
}

Result<std::vector<DraftRefUpdate>> Pusher::draft_updates(const Mirror &mirror) const {
  if (!m_settings.drafts || !mirror.repository()) return std::vector<DraftRefUpdate>{};
  auto updates = draft_ref_updates(mirror.repository(), m_settings.drafts_prefix);
  if (!updates) return Error{"repository " + mirror.work_tree().string() + ": " + updates.error().message};
  return updates;
}

std::string Pusher::tracking_ref() const { return tracking_ref_of(remote_branch_of(m_settings)); }

} // namespace tasksync
