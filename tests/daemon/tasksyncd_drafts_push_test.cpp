// Integration tests of draft branches published with repo.push: drafts/<taskId> created, moved
// by force and deleted on a real remote (a bare repository over a path, and over ssh) in the same
// push as the branch, another mirror's drafts left alone, a replay followed by the drafts rebuilt
// on the new tip, a refused draft named, and every draft commit signed; the real tasksyncd
// against the fake API's drafts.
#include <gtest/gtest.h>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"
#include "ssh_server.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-drafts-push-secret-0123456789ab";
const std::string kTask = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kOther = "7d1e5b2a-1c3f-4e8a-9b6d-2f4a8c0e1b3d"; // another mirror's task
const std::string kDraftRef = "refs/heads/drafts/" + kTask;
const std::string kOtherRef = "refs/heads/drafts/" + kOther;

class DraftsPushTest : public test::DaemonFixture {
protected:
  DraftsPushTest() : DaemonFixture(kKey) {
    EXPECT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", m_remote.string()}).exit_code, 0);
    m_api.set_version(version("5"));
  }

  // A config pushing to `remote` (a path or URL), with `push_extra` in repo.push and `repo_extra` in repo.
  void write_config(const std::string &remote, const std::string &push_extra = "", const std::string &repo_extra = "") {
    DaemonFixture::write_config({.repo_keys = repo_extra + "  push:\n    remote: " + remote + "\n" + push_extra,
                                 .rest = "tasks:\n  - id: " + kTask + "\n    name: checkout\n"});
  }

  static test::FakeVersion version(const std::string &number, const std::string &code = "") {
    test::FakeVersion v = test::task_version(kTask, number);
    if (!code.empty()) v.code = code;
    return v;
  }

  // A draft of the task holding `code`, updated at `updated`.
  static test::FakeVersion draft(const std::string &code, const std::string &updated = "2026-11-25T09:00:00Z") {
    return test::draft_version(kTask, code, "d1d1d1d1-0000-4000-8000-000000000001", updated);
  }

  // The commit `ref` names in `repo`; "" when there is no such ref.
  static std::string tip(const std::filesystem::path &repo, const std::string &ref) {
    const auto parsed = test::git(repo.string(), {"rev-parse", "--verify", "-q", ref});
    return parsed.exit_code == 0 ? parsed.out : "";
  }

  // Makes `ref` in the remote point at its main, as another mirror's draft branch would.
  void add_remote_ref(const std::string &ref) {
    ASSERT_EQ(test::git(m_remote.string(), {"update-ref", ref, "main"}).exit_code, 0);
  }

  // The scenario every remote must pass: a draft created with the branch, moved by force when it
  // changes, and deleted when it is gone, other refs under drafts/ untouched; `env` for each run.
  void publish_move_and_delete(const test::EnvChanges &env = {}) {
    m_api.set_draft(kTask, draft("// the AI's fix\n"));
    auto result = run_mode("--once", env);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("pushed 1 commit to "), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("pushed draft branches to "), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(": 1 created or moved, 0 deleted"), std::string::npos) << result.err;
    ASSERT_NE(tip(m_remote, kDraftRef), "") << "the draft did not reach the remote\n" << result.err;
    EXPECT_EQ(tip(m_remote, kDraftRef), tip(m_repo, kDraftRef));
    EXPECT_EQ(tip(m_remote, kDraftRef + "^"), tip(m_remote, "main")) << "one commit on the published branch";
    EXPECT_EQ(test::git(m_remote.string(), {"show", kDraftRef + ":tasks/" + kTask + "/task.ts"}).out,
              "// the AI's fix\n");

    // Another mirror's draft, and a branch under drafts/ that is no draft, on the shared remote.
    add_remote_ref(kOtherRef);
    add_remote_ref("refs/heads/drafts/notes");
    const std::string other = tip(m_remote, kOtherRef);

    // Nothing changed: nothing to push.
    result = run_mode("--once", env);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err.find("pushed"), std::string::npos) << result.err;

    // A changed draft: its branch is rebuilt beside the old one, and moved there by force.
    const std::string first = tip(m_remote, kDraftRef);
    m_api.set_draft(kTask, draft("// the AI's second fix\n", "2026-11-26T09:00:00Z"));
    result = run_mode("--once", env);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err.find("pushed 1 commit"), std::string::npos) << "the branch did not change\n" << result.err;
    const std::string second = tip(m_remote, kDraftRef);
    EXPECT_EQ(second, tip(m_repo, kDraftRef)) << result.err;
    EXPECT_NE(second, first);
    EXPECT_NE(test::git(m_remote.string(), {"merge-base", "--is-ancestor", first.substr(0, 40), second.substr(0, 40)})
                  .exit_code,
              0)
        << "not a forced move";
    EXPECT_EQ(test::git(m_remote.string(), {"show", kDraftRef + ":tasks/" + kTask + "/task.ts"}).out,
              "// the AI's second fix\n");

    // A new version: the branch and the draft rebuilt on it go in one push.
    m_api.set_version(version("6"));
    result = run_mode("--once", env);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("pushed 1 commit to "), std::string::npos) << result.err;
    EXPECT_EQ(tip(m_remote, kDraftRef), tip(m_repo, kDraftRef));
    EXPECT_EQ(tip(m_remote, kDraftRef + "^"), tip(m_remote, "main"));

    // The draft is gone: deleted here and there; the other refs under drafts/ stay.
    m_api.set_draft(kTask, std::nullopt);
    result = run_mode("--once", env);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find(": 0 created or moved, 1 deleted"), std::string::npos) << result.err;
    EXPECT_EQ(tip(m_repo, kDraftRef), "");
    EXPECT_EQ(tip(m_remote, kDraftRef), "") << result.err;
    EXPECT_EQ(tip(m_repo, "refs/remotes/tasksync/drafts/" + kTask), "");
    EXPECT_EQ(tip(m_remote, kOtherRef), other) << "another mirror's draft was touched";
    EXPECT_NE(tip(m_remote, "refs/heads/drafts/notes"), "");
    EXPECT_EQ(tip(m_remote, "main"), tip(m_repo, "main"));
    EXPECT_TRUE(test::repository_consistent(m_repo));
    EXPECT_TRUE(test::fsck_clean(m_remote));
  }

  std::filesystem::path m_remote = m_dir / "remote.git";
};

} // namespace

TEST_F(DraftsPushTest, ADraftIsPublishedMovedByForceAndDeletedOnABareRemoteOverAPath) {
  write_config(m_remote.string());
  publish_move_and_delete();
}

TEST_F(DraftsPushTest, ADraftIsPublishedMovedByForceAndDeletedOnARemoteOverSsh) {
  test::make_ssh_key(m_dir / "deploy", "ed25519");
  test::SshServer server(m_dir / "deploy.pub");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  test::write_text(m_dir / "known_hosts", server.known_hosts_line());
  write_config(server.url(m_remote), "    known_hosts_file: " + (m_dir / "known_hosts").string() +
                                         "\n    ssh_key_file: " + (m_dir / "deploy").string() + "\n");
  publish_move_and_delete({{"SSH_AUTH_SOCK", std::nullopt}});
}

TEST_F(DraftsPushTest, AfterAReplayTheDraftIsRebuiltOnThePublishedTipAndEveryDraftCommitVerifies) {
  const auto signing_key = m_dir / "signing-key";
  ASSERT_EQ(
      test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mirror", "-f", signing_key.string()})
          .exit_code,
      0);
  write_config(m_remote.string(), "", "  signing_key_file: " + signing_key.string() + "\n");
  const auto printed = run_mode("--print-allowed-signers");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  const auto allowed_signers = m_dir / "allowed_signers";
  test::write_text(allowed_signers, printed.out);
  std::vector<std::string> draft_commits;
  const auto verify = [&](const std::string &commit) {
    const auto verified = test::git(
        m_remote.string(), {"-c", "gpg.ssh.allowedSignersFile=" + allowed_signers.string(), "verify-commit", commit});
    EXPECT_EQ(verified.exit_code, 0) << commit << ": " << verified.err;
    EXPECT_NE(verified.err.find("Good \"git\" signature for tasksync@localhost with ED25519 key"), std::string::npos)
        << verified.err;
  };

  m_api.set_draft(kTask, draft("// pending\n"));
  auto result = run_mode("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_NE(tip(m_remote, kDraftRef), "") << result.err;
  draft_commits.push_back(tip(m_remote, kDraftRef).substr(0, 40));

  // Someone pushes to the shared branch first: the next push is rejected, the mirror's new
  // version replayed on top of theirs, and the draft rebuilt on the replayed tip before it goes.
  ASSERT_NO_FATAL_FAILURE(push_as_someone_else(m_remote));
  m_api.set_version(version("6"));
  result = run_mode("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("replayed 1 commit"), std::string::npos) << result.err;
  EXPECT_EQ(tip(m_remote, "main"), tip(m_repo, "main"));
  EXPECT_EQ(tip(m_remote, kDraftRef), tip(m_repo, kDraftRef)) << result.err;
  EXPECT_EQ(tip(m_remote, kDraftRef + "^"), tip(m_remote, "main")) << "the draft is not on the published tip";
  EXPECT_EQ(test::git(m_remote.string(), {"log", "-1", "--format=%s", kDraftRef}).out,
            "checkout: draft based on version 6\n");
  EXPECT_EQ(test::git(m_remote.string(), {"diff", "--name-only", "main..." + kDraftRef}).out,
            "tasks/" + kTask + "/task.json\ntasks/" + kTask + "/task.ts\n")
      << "the diff against the branch is the draft's alone";
  draft_commits.push_back(tip(m_remote, kDraftRef).substr(0, 40));

  m_api.set_draft(kTask, draft("// pending, again\n", "2026-11-27T09:00:00Z"));
  result = run_mode("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  draft_commits.push_back(tip(m_remote, kDraftRef).substr(0, 40));

  ASSERT_EQ(draft_commits.size(), 3u);
  for (const std::string &commit : draft_commits)
    verify(commit);
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(DraftsPushTest, ADraftTheRemoteRefusesFailsThePushNamingItAndTheBranchIsStillPublished) {
  test::make_ssh_key(m_dir / "deploy", "ed25519");
  test::SshServer server(m_dir / "deploy.pub");
  if (!server.started()) GTEST_SKIP() << server.skip_reason();
  test::write_text(m_dir / "known_hosts", server.known_hosts_line());
  // The remote's policy: no branches under drafts/.
  const auto hook = m_remote / "hooks" / "update";
  test::write_text(hook, "#!/bin/sh\ncase \"$1\" in refs/heads/drafts/*) echo 'no drafts here' >&2; exit 1;; esac\n");
  std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
  write_config(server.url(m_remote), "    known_hosts_file: " + (m_dir / "known_hosts").string() +
                                         "\n    ssh_key_file: " + (m_dir / "deploy").string() + "\n");
  m_api.set_draft(kTask, draft("// pending\n"));
  const auto result = run_mode("--once", {{"SSH_AUTH_SOCK", std::nullopt}});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("failed: the remote refused the draft branch " + kDraftRef + ": "), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("; main itself is pushed"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("push failed"), std::string::npos) << result.err;
  EXPECT_EQ(tip(m_remote, "main"), tip(m_repo, "main"));
  EXPECT_EQ(tip(m_remote, kDraftRef), "");
  EXPECT_EQ(tip(m_repo, "refs/remotes/tasksync/drafts/" + kTask), "") << "not recorded as pushed";
}

TEST_F(DraftsPushTest, APushBranchThatClashesWithTheDraftPrefixIsAConfigError) {
  write_config(m_remote.string(), "    branch: drafts\n");
  const auto result = run_mode("--once");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("repo.push.branch: \"drafts\" clashes with repo.drafts_prefix \"drafts/\""),
            std::string::npos)
      << result.err;
}
