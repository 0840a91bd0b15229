#include "ops/webhook_receiver.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "webhook_signing.hpp"

using namespace tasksync;

namespace {

const std::string kSecret = "whsec_receiver_test_5f1c0a";
const std::string kTask = "0b5e6c1e-7d7a-4a43-9a52-3f0f6d1c2b9a";
const std::string kFrom = "192.0.2.7";

class WebhookReceiverTest : public ::testing::Test {
protected:
  WebhookReceiverTest()
      : m_receiver(
            {std::make_shared<WebhookSignatureCheck>(std::vector{kSecret}), [this](const TaskEventRequest &request) {
               m_requests.push_back(request);
               if (request.task_id) m_asked.push_back(*request.task_id);
               if (request.task_id && m_mirrored) return m_answer;
               return request.healed ? TaskPassRequest::every_draft : TaskPassRequest::not_mirrored;
             }}) {}

  // `body` delivered signed with the secret, at a timestamp of its own (so that no two
  // deliveries share a signature, which would be a replay).
  WebhookAnswer deliver(const std::string &body) {
    const long long t = m_now++;
    return m_receiver.receive(test::anchor_signature(kSecret, body, t), body, t, kFrom);
  }

  // `body` delivered with `signature` as its Anchor-Signature header.
  WebhookAnswer deliver_with(std::optional<std::string> signature, const std::string &body) {
    const long long t = m_now++;
    return m_receiver.receive(signature, body, t, kFrom);
  }

  WebhookReceiver m_receiver;
  std::vector<TaskEventRequest> m_requests; // what request_task_pass was called with
  std::vector<std::string> m_asked;         // the tasks it named
  bool m_mirrored = true;
  TaskPassRequest m_answer = TaskPassRequest::started;
  long long m_now = 1795185067;
};

} // namespace

TEST(WebhookOutcome, NamesEveryOutcomeAsTheMetricLabel) {
  EXPECT_EQ(to_string(WebhookOutcome::accepted), "accepted");
  EXPECT_EQ(to_string(WebhookOutcome::ignored), "ignored");
  EXPECT_EQ(to_string(WebhookOutcome::duplicate), "duplicate");
  EXPECT_EQ(to_string(WebhookOutcome::unauthorized), "unauthorized");
  EXPECT_EQ(to_string(WebhookOutcome::too_large), "too_large");
  EXPECT_EQ(to_string(WebhookOutcome::bad_request), "bad_request");
  EXPECT_EQ(to_string(WebhookOutcome::busy), "busy");
}

TEST_F(WebhookReceiverTest, ASignedTaskEventOfAMirroredTaskStartsAPassOfIt) {
  const WebhookAnswer answer = deliver(test::task_event("evt_1", "task.healed", kTask));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.outcome, WebhookOutcome::accepted);
  EXPECT_EQ(answer.body, "{\"event\":\"accepted\",\"pass\":\"started\"}\n");
  EXPECT_FALSE(answer.refused);
  EXPECT_EQ(m_asked, std::vector<std::string>{kTask});
  EXPECT_EQ(answer.log_line, "POST /webhooks/anchorbrowser from 192.0.2.7: event \"evt_1\" \"task.healed\": starting a "
                             "pass of task " +
                                 kTask);
}

TEST_F(WebhookReceiverTest, WhileAPassRunsThePassIsQueued) {
  m_answer = TaskPassRequest::queued;
  const WebhookAnswer answer = deliver(test::task_event("evt_1", "task.updated", kTask));
  EXPECT_EQ(answer.outcome, WebhookOutcome::accepted);
  EXPECT_EQ(answer.body, "{\"event\":\"accepted\",\"pass\":\"queued\"}\n");
  EXPECT_EQ(m_asked, std::vector<std::string>{kTask});
}

TEST_F(WebhookReceiverTest, AnUpperCaseTaskIdAsksForThePassInLowerCase) {
  std::string upper = kTask;
  for (char &c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(deliver(test::task_event("evt_1", "task.healed", upper, "taskId")).outcome, WebhookOutcome::accepted);
  EXPECT_EQ(m_asked, std::vector<std::string>{kTask});
}

TEST_F(WebhookReceiverTest, ATaskThatIsNotMirroredIsIgnored) {
  m_mirrored = false;
  const WebhookAnswer answer = deliver(test::task_event("evt_1", "task.completed", kTask));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.outcome, WebhookOutcome::ignored);
  EXPECT_EQ(answer.body, "{\"event\":\"ignored\"}\n");
  EXPECT_FALSE(answer.refused);
  EXPECT_EQ(m_asked, std::vector<std::string>{kTask});
  EXPECT_NE(answer.log_line.find("is not mirrored"), std::string::npos) << answer.log_line;
}

TEST_F(WebhookReceiverTest, AnEventThatIsNotATaskEventIsIgnoredWithoutAskingForAPass) {
  for (const std::string &type :
       std::initializer_list<std::string>{"project.updated", "task", "tasks.healed", "Task.healed", ""}) {
    const WebhookAnswer answer = deliver(test::task_event("evt_" + type, type, kTask));
    EXPECT_EQ(answer.outcome, WebhookOutcome::ignored) << type;
    EXPECT_EQ(answer.status, 200) << type;
  }
  EXPECT_TRUE(m_asked.empty());
}

TEST_F(WebhookReceiverTest, ATaskEventThatNamesNoTaskIsIgnored) {
  const WebhookAnswer answer = deliver(R"({"id":"evt_1","type":"task.failed","data":{"task":"x"}})");
  EXPECT_EQ(answer.outcome, WebhookOutcome::ignored);
  EXPECT_NE(answer.log_line.find("names no task"), std::string::npos) << answer.log_line;
  EXPECT_TRUE(m_requests.empty());
}

TEST_F(WebhookReceiverTest, ATaskThatIsNotAUuidIsIgnoredAndNeverAskedFor) {
  int n = 0;
  for (const std::string &task : std::initializer_list<std::string>{
           std::string("../../etc"), std::string(""), std::string("..\\\\..\\\\etc"), kTask + "/../x", " " + kTask,
           kTask.substr(1) + "g", "\\n" + kTask.substr(1), std::string("0b5e6c1e-7d7a-4a43-9a52_3f0f6d1c2b9a")}) {
    const WebhookAnswer answer = deliver(test::task_event("evt_" + std::to_string(n++), "task.completed", task));
    EXPECT_EQ(answer.outcome, WebhookOutcome::ignored) << task;
    EXPECT_NE(answer.log_line.find("is not a task ID"), std::string::npos) << answer.log_line;
  }
  EXPECT_TRUE(m_requests.empty());
}

TEST_F(WebhookReceiverTest, AHealedEventHandsOverItsHealedVersionIdAndOthersAreNotHealed) {
  EXPECT_EQ(deliver(test::task_event("evt_1", "task.healed", kTask, "task_id", "d1-healed")).outcome,
            WebhookOutcome::accepted);
  EXPECT_EQ(deliver(test::task_event("evt_2", "task.completed", kTask)).outcome, WebhookOutcome::accepted);
  ASSERT_EQ(m_requests.size(), 2u);
  EXPECT_TRUE(m_requests[0].healed);
  EXPECT_EQ(m_requests[0].task_id, kTask);
  EXPECT_EQ(m_requests[0].healed_version_id, "d1-healed");
  EXPECT_FALSE(m_requests[1].healed);
}

TEST_F(WebhookReceiverTest, AHealedEventThatMatchesNoMirroredTaskAsksForEveryDraft) {
  m_mirrored = false;
  int n = 0;
  for (const std::string &body : std::initializer_list<std::string>{
           test::task_event("evt_h" + std::to_string(n++), "task.healed", kTask),
           test::task_event("evt_h" + std::to_string(n++), "task.healed", "tsk_4f8w9n2b"),
           R"({"id":"evt_h2","type":"task.healed","data":{"healed_task_version_id":"v-2"}})"}) {
    const WebhookAnswer answer = deliver(body);
    EXPECT_EQ(answer.status, 200) << body;
    EXPECT_EQ(answer.outcome, WebhookOutcome::accepted) << body;
    EXPECT_EQ(answer.body, "{\"event\":\"accepted\",\"drafts\":\"next pass\"}\n") << body;
    EXPECT_NE(answer.log_line.find("; the next pass reads every task's draft"), std::string::npos) << answer.log_line;
  }
  ASSERT_EQ(m_requests.size(), 3u);
  EXPECT_EQ(m_requests[0].task_id, kTask);
  EXPECT_FALSE(m_requests[1].task_id) << "a task that is no UUID is never handed over";
  EXPECT_FALSE(m_requests[2].task_id);
  for (const TaskEventRequest &request : m_requests) {
    EXPECT_TRUE(request.healed);
    EXPECT_EQ(request.healed_version_id, "v-2");
  }
}

TEST_F(WebhookReceiverTest, AHealedVersionIdLongerThanAnyDraftsIsDropped) {
  const std::string longest(kLongestHealedVersionId, 'v');
  deliver(test::task_event("evt_1", "task.healed", kTask, "task_id", longest));
  deliver(test::task_event("evt_2", "task.healed", kTask, "task_id", longest + "v"));
  ASSERT_EQ(m_requests.size(), 2u);
  EXPECT_EQ(m_requests[0].healed_version_id, longest);
  EXPECT_FALSE(m_requests[1].healed_version_id);
  EXPECT_TRUE(m_requests[1].healed) << "the pass still reads the task's draft";
}

TEST_F(WebhookReceiverTest, AMissingOrWrongSignatureIsUnauthorizedAndActsOnNothing) {
  const std::string body = test::task_event("evt_1", "task.healed", kTask);
  const std::vector<std::optional<std::string>> signatures = {
      std::nullopt,
      std::string(""),
      std::string("t=1795185067,v1=") + std::string(64, '0'),
      test::anchor_signature("another secret", body, m_now),
      test::anchor_signature(kSecret, body + " ", m_now),  // a different body
      test::anchor_signature(kSecret, body, m_now - 3600), // stale
  };
  for (const auto &signature : signatures) {
    const WebhookAnswer answer = deliver_with(signature, body);
    EXPECT_EQ(answer.status, 401) << signature.value_or("(none)");
    EXPECT_EQ(answer.outcome, WebhookOutcome::unauthorized);
    EXPECT_EQ(answer.body, "{\"error\":\"signature refused\"}\n");
    EXPECT_TRUE(answer.refused);
  }
  EXPECT_TRUE(m_asked.empty());
}

TEST_F(WebhookReceiverTest, TheSameSignedDeliveryAgainIsAReplayNotADuplicate) {
  const std::string body = test::task_event("evt_1", "task.healed", kTask);
  const std::string signature = test::anchor_signature(kSecret, body, m_now);
  EXPECT_EQ(m_receiver.receive(signature, body, m_now, kFrom).outcome, WebhookOutcome::accepted);
  const WebhookAnswer again = m_receiver.receive(signature, body, m_now, kFrom);
  EXPECT_EQ(again.outcome, WebhookOutcome::unauthorized);
  EXPECT_NE(again.log_line.find("replay"), std::string::npos) << again.log_line;
  EXPECT_EQ(m_asked.size(), 1u);
}

TEST_F(WebhookReceiverTest, ASignedBodyThatIsNotAJsonObjectIsABadRequest) {
  for (const std::string &body :
       std::initializer_list<std::string>{"", "not json", "[]", "{\"id\":", "\"task.healed\""}) {
    const WebhookAnswer answer = deliver(body);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_EQ(answer.outcome, WebhookOutcome::bad_request) << body;
    EXPECT_TRUE(answer.refused);
  }
  EXPECT_TRUE(m_asked.empty());
}

TEST_F(WebhookReceiverTest, AnEventIdDeliveredBeforeIsADuplicateAndActsOnNothing) {
  EXPECT_EQ(deliver(test::task_event("evt_1", "task.healed", kTask)).outcome, WebhookOutcome::accepted);
  // Signed anew (the platform's retry), even with another type or task: the id decides.
  const WebhookAnswer again = deliver(test::task_event("evt_1", "task.updated", kTask));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.outcome, WebhookOutcome::duplicate);
  EXPECT_EQ(again.body, "{\"event\":\"duplicate\"}\n");
  EXPECT_FALSE(again.refused);
  EXPECT_EQ(m_asked.size(), 1u);
  // A number id is its text.
  EXPECT_EQ(deliver(R"({"id":17,"type":"ping"})").outcome, WebhookOutcome::ignored);
  EXPECT_EQ(deliver(R"({"id":17,"type":"ping"})").outcome, WebhookOutcome::duplicate);
}

TEST_F(WebhookReceiverTest, EventsWithoutAnIdAreNeverDuplicates) {
  const std::string body = R"({"type":"task.healed","data":{"task_id":")" + kTask + "\"}}";
  EXPECT_EQ(deliver(body).outcome, WebhookOutcome::accepted);
  EXPECT_EQ(deliver(body).outcome, WebhookOutcome::accepted);
  EXPECT_EQ(m_asked.size(), 2u);
}

TEST_F(WebhookReceiverTest, ARefusedDeliveryDoesNotUseUpItsEventId) {
  // Otherwise anyone could send a forged evt_1 first and the platform's real one would be dropped.
  const std::string forged = test::task_event("evt_1", "task.healed", kTask);
  EXPECT_EQ(deliver_with(test::anchor_signature("guessed", forged, m_now), forged).outcome,
            WebhookOutcome::unauthorized);
  EXPECT_EQ(deliver(forged).outcome, WebhookOutcome::accepted);
  EXPECT_EQ(m_asked, std::vector<std::string>{kTask});
}

TEST_F(WebhookReceiverTest, EventIdsBeyondTheMostRememberedAreForgottenOldestFirst) {
  const auto ping = [](std::size_t n) { return "{\"id\":\"evt_" + std::to_string(n) + "\",\"type\":\"ping\"}"; };
  const std::size_t most = WebhookReceiver::kMaxEventIds;
  for (std::size_t n = 0; n <= most; ++n)
    ASSERT_EQ(deliver(ping(n)).outcome, WebhookOutcome::ignored) << n;
  // evt_0 went when evt_<most> came; evt_1 .. evt_<most> are remembered.
  EXPECT_EQ(deliver(ping(most)).outcome, WebhookOutcome::duplicate);
  EXPECT_EQ(deliver(ping(1)).outcome, WebhookOutcome::duplicate);
  EXPECT_EQ(deliver(ping(0)).outcome, WebhookOutcome::ignored);
  // evt_0 came back, so evt_1 (now the oldest) went, and evt_2 did not.
  EXPECT_EQ(deliver(ping(2)).outcome, WebhookOutcome::duplicate);
  EXPECT_EQ(deliver(ping(1)).outcome, WebhookOutcome::ignored);
}

TEST_F(WebhookReceiverTest, TheLogLineNeverHoldsTheBodyTheSecretOrTheSignature) {
  const std::string marker = "BODY-MARKER-9c41";
  // A raw line break between members and an escaped one in text, in every kind of delivery.
  const std::string event = "{\"id\":\"evt_1\",\n\"type\":\"task.healed\",\"text\":\"" + marker +
                            "\\n<3>forged line\",\"data\":{\"task_id\":\"" + kTask + "\"}}";
  const std::string ignored = "{\"id\":\"evt_2\",\n\"type\":\"ping\",\"text\":\"" + marker + "\"}";
  const std::string not_json = "{" + marker + "\n";
  std::vector<std::pair<std::string, WebhookAnswer>> answers;
  const auto signed_with = [&](const std::string &body) {
    const std::string signature = test::anchor_signature(kSecret, body, m_now);
    answers.emplace_back(signature, m_receiver.receive(signature, body, m_now++, kFrom));
  };
  signed_with(event);    // accepted
  signed_with(event);    // duplicate
  signed_with(ignored);  // ignored
  signed_with(not_json); // bad_request
  const std::string forged = test::anchor_signature(kSecret, event + " ", m_now);
  answers.emplace_back(forged, m_receiver.receive(forged, event, m_now, kFrom)); // unauthorized
  m_mirrored = false;
  const std::string other = test::task_event("evt_3", "task.failed", kTask) + "\n";
  signed_with(other); // not mirrored
  ASSERT_EQ(answers.size(), 6u);
  EXPECT_EQ(answers[0].second.outcome, WebhookOutcome::accepted);
  EXPECT_EQ(answers[1].second.outcome, WebhookOutcome::duplicate);
  EXPECT_EQ(answers[2].second.outcome, WebhookOutcome::ignored);
  EXPECT_EQ(answers[3].second.outcome, WebhookOutcome::bad_request);
  EXPECT_EQ(answers[4].second.outcome, WebhookOutcome::unauthorized);
  EXPECT_EQ(answers[5].second.outcome, WebhookOutcome::ignored);
  for (const auto &[signature, answer] : answers) {
    const std::string &line = answer.log_line;
    EXPECT_EQ(line.rfind("POST /webhooks/anchorbrowser from 192.0.2.7: ", 0), 0u) << line;
    EXPECT_EQ(line.find(marker), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find("forged line"), std::string::npos) << line;
    EXPECT_EQ(line.find(kSecret), std::string::npos) << line;
    EXPECT_EQ(line.find(signature.substr(signature.find("v1=") + 3, 16)), std::string::npos) << line;
    EXPECT_EQ(line.find("t=" + signature.substr(2, signature.find(',') - 2)), std::string::npos) << line;
  }
}

TEST_F(WebhookReceiverTest, TextShownFromTheEventIsCutShortAndBecomesOneLineWhenLogged) {
  // The id and the type are shown (they name the event), at most 80 bytes each, not cut inside
  // a character; line breaks in them are escaped by log::write.
  const std::string long_id = "\xc3\xa9" + std::string(77, 'i') + "\xc3\xa9" + std::string(10000, 'i');
  const WebhookAnswer answer = deliver("{\"id\":\"" + long_id + "\",\"type\":\"ping\\n<3>forged\"}");
  EXPECT_EQ(answer.outcome, WebhookOutcome::ignored);
  EXPECT_LT(answer.log_line.size(), 300u);
  EXPECT_NE(answer.log_line.find("\"\xc3\xa9" + std::string(77, 'i') + "...\""), std::string::npos) << answer.log_line;
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view line) { lines.emplace_back(line); });
  log::error(answer.log_line);
  log::set_sink({});
  ASSERT_EQ(lines.size(), 1u);
  const std::string &line = lines[0];
  EXPECT_EQ(line.substr(0, line.size() - (line.back() == '\n' ? 1 : 0)).find('\n'), std::string::npos) << line;
  EXPECT_NE(lines[0].find("ping\\x0a<3>forged"), std::string::npos) << lines[0];
}
