// Integration tests of POST /webhooks/anchorbrowser against the real tasksyncd and the fake API:
// a signed delivery syncs the one task it names within a second (the poll interval is an hour,
// so nothing else could), and refused or ignored deliveries sync nothing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>

#include "daemon_fixture.hpp"
#include "repository_checks.hpp"
#include "webhook_signing.hpp"

using namespace tasksync;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "sk-webhook-secret-91";
const std::string kSecret = "whsec_daemon_test_7f6e5d4c3b2a";
const std::string kTaskA = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const std::string kTaskB = "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab";
const std::string kUnmirrored = "0badc0de-0000-4000-8000-000000000000";

class WebhookTest : public test::DaemonFixture {
protected:
  WebhookTest() : DaemonFixture(kKey) {
    serve(kTaskA);
    serve(kTaskB);
    serve(kUnmirrored);
    test::write_text(m_dir / "webhook-secret", kSecret + "\n");
  }

  // Polls every hour: only a webhook (or a signal) starts a pass after the first.
  void write_config(const std::string &tasks_yaml = test::tasks_yaml({kTaskA, kTaskB})) {
    DaemonFixture::write_config({.api = "  retries: 0\n",
                                 .top = "poll:\n  interval_seconds: 3600\n",
                                 .rest = "http:\n  listen: 127.0.0.1:" + std::to_string(m_port) +
                                         "\n  webhook_secret_file: webhook-secret\n" + tasks_yaml});
  }

  httplib::Result deliver(const std::string &body, const std::optional<std::string> &signature) {
    httplib::Client client("127.0.0.1", m_port);
    client.set_read_timeout(5s);
    httplib::Headers headers;
    if (signature) headers.emplace("Anchor-Signature", *signature);
    return client.Post("/webhooks/anchorbrowser", headers, body, "application/json");
  }
  httplib::Result deliver_signed(const std::string &body, long long at = test::unix_now(),
                                 const std::string &secret = kSecret) {
    return deliver(body, test::anchor_signature(secret, body, at));
  }

  bool metrics_say(const std::string &line) { return metrics().find(line + "\n") != std::string::npos; }

  // Waits for the branch to have `count` commits; how long it took from `since`.
  std::optional<std::chrono::milliseconds> commit_latency(int count, std::chrono::steady_clock::time_point since) {
    if (!wait_for_commits(count, 10s)) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since);
  }

  // Sends SIGHUP (and SIGUSR1: the reload applies before the next pass) and waits for the
  // reload's outcome, the `count`th line holding `outcome`, and for that pass to finish (so it
  // cannot take up what a webhook's pass is meant to).
  void reload(test::ChildProcess &daemon, const std::string &outcome, std::size_t count) {
    const std::size_t passes = occurrences(daemon.err(), "pass finished in");
    daemon.signal(SIGHUP);
    daemon.signal(SIGUSR1);
    ASSERT_TRUE(test::wait_until(
        [&] {
          const std::string err = daemon.err();
          return occurrences(err, outcome) >= count && occurrences(err, "pass finished in") > passes;
        },
        15s))
        << daemon.err();
  }
  static std::size_t occurrences(const std::string &text, const std::string &part) {
    std::size_t count = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
      ++count;
    return count;
  }

  // Publishes version `version` of task A, delivers its task.healed event signed now with
  // `secret`, and expects it accepted (200) and synced: the branch then has `commits` commits.
  void expect_synced(test::ChildProcess &daemon, const std::string &version, const std::string &event,
                     const std::string &secret, int commits) {
    m_api.set_version(test::task_version(kTaskA, version));
    auto answer = deliver_signed(test::task_event(event, "task.healed", kTaskA), test::unix_now(), secret);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200) << event << "\n" << answer->body << daemon.err();
    EXPECT_TRUE(wait_for_commits(commits, 10s)) << event << "\n" << daemon.err();
  }

  void stop(test::ChildProcess &daemon) {
    DaemonFixture::stop(daemon, kSecret);
    EXPECT_TRUE(test::repository_consistent(m_repo));
  }
};

} // namespace

TEST_F(WebhookTest, ASignedTaskEventSyncsThatTaskAloneWithinASecond) {
  write_config();
  auto daemon = start_after_first_pass();
  ASSERT_EQ(commits(), 2) << daemon->err();
  const int fetched_a = m_api.requests(kTaskA);
  const int fetched_b = m_api.requests(kTaskB);
  const int listed = m_api.list_requests();
  m_api.set_version(test::task_version(kTaskA, "2"));
  m_api.set_version(test::task_version(kTaskB, "2")); // changed too, but no webhook names it

  const auto posted = std::chrono::steady_clock::now();
  auto answer = deliver_signed(test::task_event("evt_healed_1", "task.healed", kTaskA));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body << daemon->err();
  const auto latency = commit_latency(3, posted);
  ASSERT_TRUE(latency) << "no commit after the webhook\n" << daemon->err();
  std::cout << "POST to commit on the branch: " << latency->count() << " ms\n";
  EXPECT_LT(*latency, 1000ms) << daemon->err();
  EXPECT_NE(test::read_text(m_repo / "tasks" / kTaskA / "task.ts").find("version 2"), std::string::npos);
  EXPECT_NE(git({"log", "-1", "--format=%s"}).out.find(kTaskA), std::string::npos);

  ASSERT_TRUE(test::wait_until([&] { return metrics_say("tasksync_task_passes_total 1"); }, 5s)) << metrics();
  EXPECT_EQ(m_api.requests(kTaskA), fetched_a + 1);
  EXPECT_EQ(m_api.requests(kTaskB), fetched_b) << "a task no webhook named was fetched";
  EXPECT_EQ(m_api.list_requests(), listed) << "the task pass read the list";
  EXPECT_FALSE(wait_for_commits(4, 1500ms)) << daemon->err();
  // Counted as a webhook's pass, not as a pass.
  const std::string text = metrics();
  EXPECT_NE(text.find("tasksync_webhook_requests_total{outcome=\"accepted\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tasksync_cycles_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tasksync_commits_total{change=\"updated\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(daemon->err().find("tasks named by webhooks synced in "), std::string::npos) << daemon->err();
  stop(*daemon);
  if (test::run_process({"sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus; tools/install-deps installs it)";
  }
  test::write_text(m_dir / "scrape.txt", text);
  const auto checked =
      test::run_process({"sh", "-c", "promtool check metrics < \"$0\"", (m_dir / "scrape.txt").string()});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << text;
  EXPECT_EQ(checked.out + checked.err, "") << text;
}

// A webhook's pass is a pass like any other: versions published since the last one are filled in.
TEST_F(WebhookTest, AWebhooksPassFillsTheVersionsPublishedSinceTheLastPass) {
  write_config();
  auto daemon = start_after_first_pass();
  ASSERT_EQ(commits(), 2) << daemon->err();
  m_api.add_version(test::task_version(kTaskA, "2"));
  m_api.add_version(test::task_version(kTaskA, "3"));
  m_api.set_version(test::task_version(kTaskA, "4"));

  auto answer = deliver_signed(test::task_event("evt_gap_1", "task.healed", kTaskA));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body << daemon->err();
  ASSERT_TRUE(wait_for_commits(5, 10s)) << daemon->err();
  EXPECT_EQ(git({"log", "--reverse", "--format=%s", "HEAD~3.."}).out, kTaskA + ": update to version 2\n" + kTaskA +
                                                                          ": update to version 3\n" + kTaskA +
                                                                          ": update to version 4\n");
  ASSERT_TRUE(test::wait_until([&] { return metrics_say("tasksync_history_events_total{kind=\"gap_filled\"} 2"); }, 5s))
      << metrics();
  EXPECT_TRUE(metrics_say("tasksync_commits_total{change=\"updated\"} 3")) << metrics();
  stop(*daemon);
}

TEST_F(WebhookTest, RefusedDuplicateAndOtherDeliveriesSyncNothing) {
  write_config();
  auto daemon = start_after_first_pass();
  m_api.set_version(test::task_version(kTaskA, "2"));
  const std::string event = test::task_event("evt_once", "task.healed", kTaskA);
  const long long first_at = test::unix_now();
  const std::string genuine = test::anchor_signature(kSecret, event, first_at);
  auto first = deliver(event, genuine);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  ASSERT_TRUE(wait_for_commits(3, 5s)) << daemon->err();
  ASSERT_TRUE(test::wait_until([&] { return metrics_say("tasksync_task_passes_total 1"); }, 5s)) << metrics();
  const int fetched = m_api.requests(kTaskA);
  m_api.set_version(test::task_version(kTaskA, "3"));

  const std::string other = test::task_event("evt_other", "task.completed", kTaskA);
  const long long now = test::unix_now();
  auto status_of = [](const httplib::Result &answer) { return answer ? answer->status : 0; };
  EXPECT_EQ(status_of(deliver(other, test::anchor_signature("not-the-secret", other, now))), 401);
  EXPECT_EQ(status_of(deliver(other, std::nullopt)), 401);
  EXPECT_EQ(status_of(deliver(other, "t=" + std::to_string(now) + ",v1=abc")), 401);
  EXPECT_EQ(status_of(deliver_signed(other, now - 180)), 401);
  EXPECT_EQ(status_of(deliver_signed(other, now + 180)), 401);
  EXPECT_EQ(status_of(deliver(event, genuine)), 401) << "a replay";
  std::string big = other;
  big.insert(big.size() - 2, ",\"pad\":\"" + std::string(1024 * 1024, 'p') + "\"");
  EXPECT_EQ(status_of(deliver_signed(big)), 413);
  // The platform's redelivery: signed anew, at a time that cannot be the first delivery's own
  // (which would make it an exact replay), however long the machine took until here.
  auto duplicate = deliver_signed(event, first_at + 1);
  EXPECT_EQ(status_of(duplicate), 200);
  EXPECT_EQ(duplicate ? duplicate->body : "", "{\"event\":\"duplicate\"}\n");
  auto unrelated = deliver_signed(test::task_event("evt_project", "project.updated", kTaskA));
  EXPECT_EQ(status_of(unrelated), 200);
  EXPECT_EQ(unrelated ? unrelated->body : "", "{\"event\":\"ignored\"}\n");
  auto unmirrored = deliver_signed(test::task_event("evt_elsewhere", "task.completed", kUnmirrored));
  EXPECT_EQ(unmirrored ? unmirrored->body : "", "{\"event\":\"ignored\"}\n");
  EXPECT_EQ(status_of(deliver_signed("{not json")), 400);

  EXPECT_FALSE(wait_for_commits(4, 2s)) << "a refused or ignored delivery synced\n" << daemon->err();
  EXPECT_EQ(m_api.requests(kTaskA), fetched);
  EXPECT_EQ(m_api.requests(kUnmirrored), 0);
  const std::string text = metrics();
  for (const char *expected :
       {"tasksync_webhook_requests_total{outcome=\"accepted\"} 1\n",
        "tasksync_webhook_requests_total{outcome=\"unauthorized\"} 6\n",
        "tasksync_webhook_requests_total{outcome=\"too_large\"} 1\n",
        "tasksync_webhook_requests_total{outcome=\"duplicate\"} 1\n",
        "tasksync_webhook_requests_total{outcome=\"ignored\"} 2\n",
        "tasksync_webhook_requests_total{outcome=\"bad_request\"} 1\n", "tasksync_task_passes_total 1\n"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << text;
  }
  const std::string err = daemon->err();
  for (const char *reason : {"bad signature", "missing header", "malformed header", "stale timestamp", "replay"}) {
    EXPECT_NE(err.find(std::string("refused (401): ") + reason), std::string::npos) << reason << "\n" << err;
  }
  EXPECT_EQ(err.find("ppppppppppppppppppppppppp"), std::string::npos) << "the body reached the log";
  stop(*daemon);
}

TEST_F(WebhookTest, WithTasksAllATaskTheListShowedIsSyncedAndAnExcludedOneIsNot) {
  write_config("tasks: all\ntasks_exclude:\n  - " + kUnmirrored + "\n");
  auto daemon = start_after_first_pass();
  ASSERT_EQ(commits(), 2) << daemon->err();
  m_api.set_version(test::task_version(kTaskB, "2"));
  m_api.set_version(test::task_version(kUnmirrored, "2"));
  const int fetched_a = m_api.requests(kTaskA);
  auto excluded = deliver_signed(test::task_event("evt_x", "task.healed", kUnmirrored));
  ASSERT_TRUE(excluded);
  EXPECT_EQ(excluded->body, "{\"event\":\"ignored\"}\n");
  const auto posted = std::chrono::steady_clock::now();
  auto answer = deliver_signed(test::task_event("evt_b", "task.failed", kTaskB, "taskId"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  const auto latency = commit_latency(3, posted);
  ASSERT_TRUE(latency) << daemon->err();
  EXPECT_LT(*latency, 1000ms);
  EXPECT_FALSE(wait_for_commits(4, 1s)) << daemon->err();
  EXPECT_EQ(m_api.requests(kTaskA), fetched_a);
  stop(*daemon);
}

TEST_F(WebhookTest, SighupReadsTheSecretAgain) {
  write_config();
  auto daemon = start_after_first_pass();
  const std::string rotated = kSecret + "-rotated";
  test::write_text(m_dir / "webhook-secret", rotated + "\n");
  daemon->signal(SIGHUP);
  daemon->signal(SIGUSR1); // the reload applies before the next pass
  ASSERT_TRUE(test::wait_until([&] { return daemon->err().find("config reloaded") != std::string::npos; }, 15s))
      << daemon->err();
  const std::string event = test::task_event("evt_rotated", "task.healed", kTaskA);
  auto old_secret = deliver_signed(event);
  ASSERT_TRUE(old_secret);
  EXPECT_EQ(old_secret->status, 401);
  auto new_secret = deliver_signed(event, test::unix_now(), rotated);
  ASSERT_TRUE(new_secret);
  EXPECT_EQ(new_secret->status, 200);
  stop(*daemon);
  EXPECT_EQ(daemon->err().find(rotated), std::string::npos) << daemon->err();
}

// The platform's rotation: a new secret, the old one valid 24 hours more. The file gets the new
// secret as its first line (SIGHUP), deliveries signed with either are accepted meanwhile, and
// once the old line is removed (SIGHUP) the old secret is refused.
TEST_F(WebhookTest, RotatingTheSecretAcceptsBothWhileTheFileHoldsBoth) {
  write_config();
  auto daemon = start_after_first_pass();
  ASSERT_EQ(commits(), 2) << daemon->err();
  const std::string new_secret = "whsec_rotated_a1b2c3d4e5";
  expect_synced(*daemon, "2", "evt_before", kSecret, 3);

  test::write_text(m_dir / "webhook-secret", new_secret + "\n" + kSecret + "\n");
  reload(*daemon, "config reloaded", 1);
  expect_synced(*daemon, "3", "evt_new", new_secret, 4);
  expect_synced(*daemon, "4", "evt_old", kSecret, 5);

  test::write_text(m_dir / "webhook-secret", new_secret + "\n");
  reload(*daemon, "config reloaded", 2);
  const std::string late = test::task_event("evt_old_late", "task.healed", kTaskA);
  auto refused = deliver_signed(late);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401) << "the old secret is still accepted";
  expect_synced(*daemon, "5", "evt_after", new_secret, 6);
  EXPECT_NE(test::read_text(m_repo / "tasks" / kTaskA / "task.ts").find("version 5"), std::string::npos);
  stop(*daemon);
  EXPECT_EQ(daemon->err().find(new_secret), std::string::npos) << "the new secret leaked";
}

TEST_F(WebhookTest, CheckConfigCountsTheSecretsAndABlankOrThirdLineIsRefusedAtStartAndOnReload) {
  write_config();
  const std::string where = "http.webhook_secret_file " + (m_dir / "webhook-secret").string() + ": ";
  const std::string new_secret = "whsec_rotated_f6e5d4c3b2";
  test::write_text(m_dir / "webhook-secret", new_secret + "\n" + kSecret + "\nwhsec_third_0918\n");
  auto refused = start();
  EXPECT_EQ(refused->wait_for_exit(15s).value_or(-1), 2) << refused->err();
  EXPECT_NE(refused->err().find(where + "it holds 3 lines; it must hold one secret, or two while the secret is "
                                        "rotated (the new one first)"),
            std::string::npos)
      << refused->err();
  const auto check = [&] { return run_mode("--check-config"); };
  const auto three = check();
  EXPECT_EQ(three.exit_code.value_or(0), 2) << three.out << three.err;
  EXPECT_NE(three.err.find(where + "it holds 3 lines"), std::string::npos) << three.out << three.err;

  test::write_text(m_dir / "webhook-secret", new_secret + "\n" + kSecret + "\n");
  const auto two = check();
  EXPECT_EQ(two.exit_code.value_or(-1), 0) << two.out << two.err;
  EXPECT_NE(two.out.find("POST /webhooks/anchorbrowser: 2 secrets in " + (m_dir / "webhook-secret").string()),
            std::string::npos)
      << two.out << two.err;
  EXPECT_EQ((two.out + two.err).find(new_secret), std::string::npos) << "--check-config showed a secret";

  auto daemon = start_after_first_pass();
  test::write_text(m_dir / "webhook-secret", new_secret + "\n\n" + kSecret + "\n");
  reload(*daemon, "config reload failed, keeping the previous config: " + where + "line 2 is empty", 1);
  expect_synced(*daemon, "2", "evt_new", new_secret, 3);
  expect_synced(*daemon, "3", "evt_old", kSecret, 4);
  stop(*daemon);
  EXPECT_EQ(daemon->err().find(new_secret), std::string::npos) << "the new secret leaked";
}

TEST_F(WebhookTest, AnUnreadableOrEmptySecretFileStopsTheStartAndCheckConfigSaysWhy) {
  write_config();
  test::write_text(m_dir / "webhook-secret", "\n");
  auto daemon = start();
  EXPECT_EQ(daemon->wait_for_exit(15s).value_or(-1), 2) << daemon->err();
  EXPECT_NE(
      daemon->err().find("http.webhook_secret_file " + (m_dir / "webhook-secret").string() + ": the file is empty"),
      std::string::npos)
      << daemon->err();
  std::filesystem::remove(m_dir / "webhook-secret");
  const auto checked = run_mode("--check-config");
  EXPECT_EQ(checked.exit_code.value_or(0), 2) << "a secret the start refuses is a config error here too";
  EXPECT_NE(checked.err.find("http.webhook_secret_file " + (m_dir / "webhook-secret").string() +
                             ": cannot read: No such file or directory"),
            std::string::npos)
      << checked.out << checked.err;
}
