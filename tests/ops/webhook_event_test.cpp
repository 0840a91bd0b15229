#include "ops/webhook_event.hpp"

#include <gtest/gtest.h>

#include <string>

#include "webhook_signing.hpp"

using namespace tasksync;

namespace {

const std::string kTask = "0b5e6c1e-7d7a-4a43-9a52-3f0f6d1c2b9a";

// The parsed event of `body`, which must parse.
WebhookEvent event_of(const std::string &body) {
  auto event = parse_webhook_event(body);
  EXPECT_TRUE(event.ok()) << body.substr(0, 80) << ": " << (event ? "" : event.error().message);
  return event ? *event : WebhookEvent{};
}

// The error of parsing `body`, which must not parse.
std::string error_of(const std::string &body) {
  auto event = parse_webhook_event(body);
  EXPECT_FALSE(event.ok()) << body.substr(0, 80);
  return event ? std::string() : event.error().message;
}

} // namespace

TEST(WebhookEvent, ReadsIdTypeAndTaskOfAnEnvelope) {
  const WebhookEvent event = event_of(test::task_event("evt_1", "task.healed", kTask));
  EXPECT_EQ(event.id, "evt_1");
  EXPECT_EQ(event.type, "task.healed");
  EXPECT_EQ(event.task_id, kTask);
}

TEST(WebhookEvent, ReadsTheHealedVersionOfATaskHealedEvent) {
  EXPECT_EQ(event_of(test::task_event("evt_1", "task.healed", kTask, "task_id", "d1d1")).healed_version_id, "d1d1");
  EXPECT_FALSE(event_of(R"({"type":"task.healed","data":{"healed_task_version_id":7}})").healed_version_id);
  EXPECT_FALSE(event_of(R"({"type":"task.healed","healed_task_version_id":"d1d1"})").healed_version_id)
      << "outside data";
}

TEST(WebhookEvent, ReadsTheTaskFromTaskIdInCamelCaseToo) {
  EXPECT_EQ(event_of(test::task_event("evt_1", "task.healed", kTask, "taskId")).task_id, kTask);
}

TEST(WebhookEvent, BodiesThatAreNotAJsonObjectAreRefused) {
  for (const std::string &body :
       std::initializer_list<std::string>{"", " ", "[]", "[{\"id\":\"e\"}]", "\"text\"", "1", "null", "true"}) {
    EXPECT_FALSE(parse_webhook_event(body).ok()) << body;
  }
  EXPECT_EQ(error_of("[]"), "the body is not a JSON object");
  EXPECT_EQ(error_of("null"), "the body is not a JSON object");
}

TEST(WebhookEvent, TruncatedOrTrailingJsonIsRefused) {
  for (const std::string &body : std::initializer_list<std::string>{
           "{", "{\"id\":", "{\"id\":\"e\"", "{\"id\":\"e\"} {}", "{\"id\":\"e\"}x", "{'id':'e'}"}) {
    EXPECT_EQ(error_of(body).rfind("the body is not JSON: ", 0), 0u) << body;
  }
}

TEST(WebhookEvent, TheErrorNeverQuotesTheBody) {
  const std::string marker = "MARKER-7f3a\n";
  for (const std::string &body : std::initializer_list<std::string>{"{\"id\":\"" + marker + "\"",
                                                                    "[\"" + marker + "\"]", "{\"" + marker + "\" 1}"}) {
    const std::string error = error_of(body);
    EXPECT_EQ(error.find("MARKER"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(WebhookEvent, AnIdThatIsANumberIsItsTextAndOtherKindsAreNoId) {
  EXPECT_EQ(event_of(R"({"id":42,"type":"task.healed"})").id, "42");
  EXPECT_EQ(event_of(R"({"id":-1.5,"type":"task.healed"})").id, "-1.5");
  for (const std::string &id : std::initializer_list<std::string>{"true", "null", "{}", "[\"a\"]"}) {
    EXPECT_FALSE(event_of(R"({"id":)" + id + R"(,"type":"task.healed"})").id) << id;
  }
  EXPECT_FALSE(event_of(R"({"type":"task.healed"})").id);
}

TEST(WebhookEvent, AnIdKeepsEveryByteUpToItsLengthNotUpToANul) {
  // Were it cut at the NUL, "a\0b" and "a\0c" would be the same id: one a duplicate of the other.
  EXPECT_EQ(event_of(R"({"id":"a\u0000b"})").id, std::string("a\0b", 3));
}

TEST(WebhookEvent, ATypeThatIsMissingOrNotAStringIsEmpty) {
  for (const std::string &body :
       std::initializer_list<std::string>{R"({"id":"e"})", R"({"id":"e","type":1})",
                                          R"({"id":"e","type":["task.healed"]})", R"({"id":"e","type":null})"}) {
    EXPECT_EQ(event_of(body).type, "") << body;
  }
}

TEST(WebhookEvent, DataThatIsNotAnObjectNamesNoTask) {
  for (const std::string &data : std::initializer_list<std::string>{"null", "\"" + kTask + "\"", "[\"" + kTask + "\"]",
                                                                    "{\"task_id\":{\"id\":\"x\"}}", "{\"task_id\":7}",
                                                                    "{\"task\":\"" + kTask + "\"}"}) {
    EXPECT_FALSE(event_of(R"({"id":"e","type":"task.healed","data":)" + data + "}").task_id) << data;
  }
  // task_id outside data is not the event's task.
  EXPECT_FALSE(event_of(R"({"id":"e","type":"task.healed","task_id":")" + kTask + "\"}").task_id);
}

TEST(WebhookEvent, WithBothTaskIdAndTaskIdInCamelCaseSnakeCaseWins) {
  const std::string other = "11111111-2222-3333-4444-555555555555";
  EXPECT_EQ(event_of(R"({"data":{"taskId":")" + other + R"(","task_id":")" + kTask + "\"}}").task_id, kTask);
  EXPECT_EQ(event_of(R"({"data":{"task_id":")" + kTask + R"(","taskId":")" + other + "\"}}").task_id, kTask);
  // A task_id that is not a string does not hide taskId.
  EXPECT_EQ(event_of(R"({"data":{"task_id":null,"taskId":")" + other + "\"}}").task_id, other);
}

TEST(WebhookEvent, TaskIdsAreReturnedAsSentForTheReceiverToCheck) {
  for (const std::string &task :
       std::initializer_list<std::string>{std::string("0B5E6C1E-7D7A-4A43-9A52-3F0F6D1C2B9A"), std::string("../../etc"),
                                          std::string(""), std::string("a/b\\u0000c")}) {
    const std::string expected = task == "a/b\\u0000c" ? std::string("a/b\0c", 5) : task;
    EXPECT_EQ(event_of(test::task_event("e", "task.healed", task)).task_id, expected) << task;
  }
}

TEST(WebhookEvent, InvalidUtf8IsRefused) {
  for (const std::string &bad :
       std::initializer_list<std::string>{"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf8\x88\x80\x80\x80"}) {
    EXPECT_EQ(error_of(R"({"id":"e","text":")" + bad + "\"}").rfind("the body is not JSON: ", 0), 0u);
    EXPECT_FALSE(parse_webhook_event(R"({"id":")" + bad + "\"}").ok());
  }
  // A lone surrogate written as an escape is no character either.
  EXPECT_FALSE(parse_webhook_event(R"({"id":"\ud800"})").ok());
  // Valid multi-byte text is fine.
  EXPECT_EQ(event_of("{\"id\":\"\xc3\xa9v\xe2\x82\xac\xf0\x9f\x98\x80\"}").id, "\xc3\xa9v\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(WebhookEvent, DeepNestingCostsNoStack) {
  // A recursive parser would overflow the stack here (and crash the daemon).
  const std::size_t depth = 100000;
  EXPECT_FALSE(parse_webhook_event(std::string(depth, '[')).ok());
  EXPECT_EQ(error_of(std::string(depth, '[') + std::string(depth, ']')), "the body is not a JSON object");
  std::string nested;
  for (std::size_t i = 0; i < depth; ++i)
    nested += "{\"a\":";
  nested += "1" + std::string(depth, '}');
  const WebhookEvent event =
      event_of(R"({"id":"deep","type":"task.healed","text":)" + std::string(depth, '[') + std::string(depth, ']') +
               ",\"x\":" + nested + R"(,"data":{"task_id":")" + kTask + "\"}}");
  EXPECT_EQ(event.id, "deep");
  EXPECT_EQ(event.task_id, kTask);
}

TEST(WebhookEvent, WithDuplicateKeysTheFirstWins) {
  const WebhookEvent event = event_of(R"({"id":"first","id":"second","type":"task.healed","type":"other",)"
                                      R"("data":{"task_id":")" +
                                      kTask + R"("},"data":{"task_id":"../x"}})");
  EXPECT_EQ(event.id, "first");
  EXPECT_EQ(event.type, "task.healed");
  EXPECT_EQ(event.task_id, kTask);
}
