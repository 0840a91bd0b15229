// Integration tests: signed commits (repo.signing_key_file), checked by git itself with the line
// --print-allowed-signers prints, across every way tasksyncd makes a commit.
#include <gtest/gtest.h>

#include <sstream>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"

using namespace tasksync;

namespace {

const std::string kKey = "sk-integration-secret-0123456789";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "7d1e5b2a-1c3f-4e8a-9b6d-2f4a8c0e1b3d";

class TasksyncdSigningTest : public test::DaemonFixture {
protected:
  TasksyncdSigningTest() : DaemonFixture(kKey) {
    EXPECT_EQ(
        test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mirror", "-f", m_signing_key.string()})
            .exit_code,
        0);
    EXPECT_EQ(test::run_process({"git", "init", "-q", "--bare", "-b", "main", m_remote.string()}).exit_code, 0);
  }

  // A config for `tasks`, pushing to m_remote, signing with `signing_key` (none: not signed).
  void write_config(const std::vector<std::string> &tasks, const std::optional<std::filesystem::path> &signing_key) {
    DaemonFixture::write_config(
        {.repo_keys = "  push:\n    remote: " + m_remote.string() + "\n" +
                      (signing_key ? "  signing_key_file: " + signing_key->string() + "\n" : ""),
         .rest = test::tasks_yaml(tasks)});
  }

  test::TasksyncdRun run(const std::string &mode) {
    auto result = run_mode(mode);
    EXPECT_EQ(result.err.find("BEGIN OPENSSH PRIVATE KEY"), std::string::npos) << "the signing key leaked";
    return result;
  }

  // The allowed-signers file a reviewer writes from --print-allowed-signers.
  void trust_the_mirror() {
    const auto printed = run("--print-allowed-signers");
    ASSERT_EQ(printed.exit_code, 0) << printed.err;
    test::write_text(m_allowed_signers, printed.out);
  }

  // `git verify-commit` of `commit` in `repo`, trusting m_allowed_signers.
  test::ProcessResult verify(const std::filesystem::path &repo, const std::string &commit) {
    return test::git(repo.string(),
                     {"-c", "gpg.ssh.allowedSignersFile=" + m_allowed_signers.string(), "verify-commit", commit});
  }

  // The commits on `rev` of `repo` whose author is `email`, newest first.
  std::vector<std::string> commits_by(const std::filesystem::path &repo, const std::string &email,
                                      const std::string &rev = "main") {
    const auto listed = test::git(repo.string(), {"log", "--format=%H", "--author=<" + email + ">", rev});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    std::vector<std::string> commits;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);)
      commits.push_back(line);
    return commits;
  }

  std::filesystem::path m_remote = m_dir / "remote.git";
  std::filesystem::path m_signing_key = m_dir / "signing-key";
  std::filesystem::path m_allowed_signers = m_dir / "allowed_signers";
};

test::FakeVersion version_of(const std::string &task, const std::string &number) {
  test::FakeVersion version = test::task_version(task, number);
  version.created_at = "2026-10-0" + number + "T08:00:00Z";
  version.updated_at = "2026-10-0" + number + "T10:00:00Z";
  return version;
}

} // namespace

TEST_F(TasksyncdSigningTest, EveryCommitOfABackfillImportUpdateReplayAndDeletionVerifies) {
  write_config({kTaskA}, m_signing_key);
  trust_the_mirror();
  EXPECT_EQ(test::read_text(m_allowed_signers).rfind("tasksync@localhost namespaces=\"git\" ssh-ed25519 AAAA", 0), 0u)
      << test::read_text(m_allowed_signers);

  // A backfill of task A's two versions.
  m_api.add_version(version_of(kTaskA, "1"));
  m_api.set_version(version_of(kTaskA, "2"));
  auto result = run("--backfill");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // An import of task B and an update of A.
  write_config({kTaskA, kTaskB}, m_signing_key);
  m_api.set_version(version_of(kTaskB, "1"));
  m_api.set_version(version_of(kTaskA, "3"));
  result = run("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;

  // Someone commits in the mirror's own checkout (replayed with the mirror's commits, unsigned:
  // theirs to sign), and someone pushes to the shared remote, so the next push is rejected and
  // replayed onto theirs.
  test::write_text(m_repo / "NOTES.md", "Notes.\n");
  ASSERT_EQ(git({"add", "NOTES.md"}).exit_code, 0);
  ASSERT_EQ(git({"-c", "user.name=Person", "-c", "user.email=person@example.com", "commit", "-q", "-m", "Add notes"})
                .exit_code,
            0);
  ASSERT_NO_FATAL_FAILURE(push_as_someone_else(m_remote));
  m_api.set_version(version_of(kTaskA, "4"));
  result = run("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("replayed 2 commits"), std::string::npos) << result.err;

  // A deletion.
  test::FakeVersion deleted = version_of(kTaskB, "2");
  deleted.deleted = true;
  m_api.set_version(deleted);
  result = run("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;

  const auto subjects = test::git(m_remote.string(), {"log", "--reverse", "--format=%s", "main"});
  EXPECT_EQ(subjects.out, kTaskA + ": add version 1\n" + kTaskA + ": update to version 2\n" + kTaskA +
                              ": update to version 3\n" + kTaskB + ": add version 1\nAdd a README\nAdd notes\n" +
                              kTaskA + ": update to version 4\n" + kTaskB + ": delete (deleted upstream)\n")
      << subjects.out;
  EXPECT_EQ(git({"rev-parse", "main"}).out, test::git(m_remote.string(), {"rev-parse", "main"}).out);
  const auto signed_commits = commits_by(m_remote, "tasksync@localhost");
  ASSERT_EQ(signed_commits.size(), 6u);
  for (const std::string &commit : signed_commits) {
    const auto verified = verify(m_remote, commit);
    EXPECT_EQ(verified.exit_code, 0) << commit << ": " << verified.err;
    EXPECT_NE(verified.err.find("Good \"git\" signature for tasksync@localhost with ED25519 key"), std::string::npos)
        << verified.err;
  }
  // The person's commits are not the mirror's, the replayed one included: they do not verify (so
  // the check above can fail), and the replay did not sign theirs with the mirror's key.
  const auto person = commits_by(m_remote, "person@example.com");
  ASSERT_EQ(person.size(), 2u);
  for (const std::string &commit : person) {
    EXPECT_NE(verify(m_remote, commit).exit_code, 0);
    EXPECT_EQ(test::git(m_remote.string(), {"cat-file", "commit", commit}).out.find("gpgsig"), std::string::npos);
  }

  const auto shown = test::git(m_remote.string(), {"-c", "gpg.ssh.allowedSignersFile=" + m_allowed_signers.string(),
                                                   "log", "--show-signature", "--format=%H", "main"});
  std::size_t good = 0;
  for (std::size_t at = shown.out.find("Good \"git\" signature"); at != std::string::npos;
       at = shown.out.find("Good \"git\" signature", at + 1)) {
    ++good;
  }
  EXPECT_EQ(good, 6u) << shown.out;
  EXPECT_TRUE(test::repository_consistent(m_repo));
  EXPECT_TRUE(test::fsck_clean(m_remote));
}

TEST_F(TasksyncdSigningTest, ACommitAlteredByHandFailsVerification) {
  write_config({kTaskA}, m_signing_key);
  trust_the_mirror();
  m_api.set_version(version_of(kTaskA, "1"));
  const auto result = run("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(verify(m_repo, "HEAD").exit_code, 0);

  // The same commit, signature and all, with one word of its message changed.
  const std::string text = git({"cat-file", "commit", "HEAD"}).out;
  const std::size_t subject = text.find(": add version 1");
  ASSERT_NE(subject, std::string::npos) << text;
  std::string altered = text;
  altered.replace(subject, 15, ": add version 2");
  test::write_text(m_dir / "altered", altered);
  const auto stored = test::run_process({"sh", "-c", "git -C \"$1\" hash-object -t commit -w --stdin < \"$2\"", "sh",
                                         m_repo.string(), (m_dir / "altered").string()});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  const std::string forged = stored.out.substr(0, 40);
  ASSERT_NE(git({"cat-file", "commit", forged}).out.find("gpgsig -----BEGIN SSH SIGNATURE-----"), std::string::npos);
  const auto verified = verify(m_repo, forged);
  EXPECT_NE(verified.exit_code, 0);
  EXPECT_EQ(verified.err.find("Good \"git\" signature"), std::string::npos) << verified.err;
}

TEST_F(TasksyncdSigningTest, WithoutAKeyNothingIsSignedAndNoSignerIsPrinted) {
  write_config({kTaskA}, std::nullopt);
  m_api.set_version(version_of(kTaskA, "1"));
  const auto result = run("--once");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(git({"cat-file", "commit", "HEAD"}).out.find("gpgsig"), std::string::npos);
  const auto printed = run("--print-allowed-signers");
  EXPECT_EQ(printed.exit_code, 2);
  EXPECT_EQ(printed.out, "");
  EXPECT_NE(printed.err.find("repo.signing_key_file is not set"), std::string::npos) << printed.err;
}

TEST_F(TasksyncdSigningTest, AnEncryptedOrNonEd25519KeyIsAConfigErrorNamingTheFile) {
  const auto encrypted = m_dir / "encrypted";
  ASSERT_EQ(
      test::run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "secret", "-f", encrypted.string()}).exit_code, 0);
  const auto ecdsa = m_dir / "ecdsa";
  ASSERT_EQ(test::run_process({"ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", ecdsa.string()}).exit_code, 0);
  m_api.set_version(version_of(kTaskA, "1"));
  for (const auto &[key, reason] :
       std::vector<std::pair<std::filesystem::path, std::string>>{{encrypted, " is protected by a passphrase"},
                                                                  {ecdsa, " is an ecdsa-sha2-nistp256 key"},
                                                                  {m_dir / "missing", ": No such file or directory"}}) {
    write_config({kTaskA}, key);
    for (const std::string mode : {"--once", "--check-config", "--print-allowed-signers"}) {
      const auto result = run(mode);
      EXPECT_EQ(result.exit_code, 2) << mode << ": " << result.err;
      EXPECT_NE(result.err.find("repo.signing_key_file " + key.string() + reason), std::string::npos)
          << mode << ": " << result.err;
    }
  }
  EXPECT_EQ(m_api.requests(kTaskA), 0) << "nothing is fetched with a key that cannot sign";
  EXPECT_FALSE(std::filesystem::exists(m_repo));
}
