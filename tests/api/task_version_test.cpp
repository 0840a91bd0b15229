#include "api/task_version.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kTaskId = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

std::string example_response() { return test::read_text(TASKSYNC_TEST_DATA "/example/response.json"); }

// The example response with `from` replaced by `to` once.
std::string edited(const std::string &from, const std::string &to) {
  std::string body = example_response();
  const auto at = body.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return body.replace(at, from.size(), to);
}

std::string error_of(const std::string &body) {
  auto version = parse_task_version(body, kTaskId);
  EXPECT_FALSE(version.ok());
  return version ? "" : version.error().message;
}

} // namespace

TEST(TaskVersion, ParsesTheExampleResponse) {
  auto version = parse_task_version(example_response(), kTaskId);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(version->id, "9b2f6c1e-4d3a-4f5b-8c7d-1e2f3a4b5c6d");
  EXPECT_EQ(version->task_id, kTaskId);
  EXPECT_EQ(version->version, "7");
  EXPECT_EQ(version->code, test::read_text(TASKSYNC_TEST_DATA "/example/task.ts"));
  EXPECT_EQ(version->language, "typescript");
  EXPECT_EQ(version->description, "Read the page title");
  ASSERT_TRUE(version->browser_configuration);
  EXPECT_TRUE(version->browser_configuration->HasMember("proxy"));
  EXPECT_FALSE(version->deleted);
  EXPECT_EQ(version->created_at, "2026-10-01T08:00:00Z");
  EXPECT_EQ(version->updated_at, "2026-11-20T14:31:07Z");
  EXPECT_EQ(version->updated.unix_seconds, 1795185067);
}

TEST(TaskVersion, OptionalFieldsMayBeAbsentOrNull) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.language.reset();
  fake.description.reset();
  fake.browser_configuration.reset();
  auto version = parse_task_version(fake.to_json(), kTaskId);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_FALSE(version->language);
  EXPECT_FALSE(version->description);
  EXPECT_FALSE(version->browser_configuration);
  EXPECT_TRUE(parse_task_version(edited(R"("language": "typescript")", R"("language": null)"), kTaskId).ok());
}

TEST(TaskVersion, TaskIdIsComparedCaseInsensitively) {
  EXPECT_TRUE(parse_task_version(example_response(), "3C90C3CC-0D44-4B50-8888-8DD25736052A").ok());
}

TEST(TaskVersion, RejectsAResponseForAnotherTask) {
  EXPECT_EQ(error_of(edited(kTaskId, "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab")),
            "data.taskId: the response is for task \"5f0e2a51-8a3b-4c1d-9e2f-0123456789ab\", not the one requested");
}

TEST(TaskVersion, AnsweredTaskIdIsLowerCaseOrNamesTheOtherTask) {
  rapidjson::Document data;
  data.Parse(R"({"id": "3C90C3CC-0D44-4B50-8888-8DD25736052A"})");
  const JsonFields fields(data, "data.");
  EXPECT_EQ(*answered_task_id(fields, "id", kTaskId, "answer"), kTaskId);
  EXPECT_EQ(answered_task_id(fields, "id", "5f0e2a51-8a3b-4c1d-9e2f-0123456789ab", "list").error().message,
            "data.id: the list is for task \"3C90C3CC-0D44-4B50-8888-8DD25736052A\"");
  EXPECT_EQ(answered_task_id(fields, "taskId", kTaskId, "answer").error().message,
            "data.taskId: missing required field");
}

TEST(TaskVersion, RejectsMalformedAndTruncatedJson) {
  const std::string body = example_response();
  EXPECT_NE(error_of(body.substr(0, body.size() / 2)).find("malformed JSON"), std::string::npos);
  EXPECT_NE(error_of("<html>502 Bad Gateway</html>").find("malformed JSON at offset 0"), std::string::npos);
  EXPECT_EQ(error_of("[]"), "expected a JSON object with a data member");
  EXPECT_EQ(error_of(R"({"data": []})"), "data: missing or not an object");
}

TEST(TaskVersion, RejectsMissingFieldsAndWrongTypes) {
  EXPECT_EQ(error_of(edited(R"("version": "7",)", "")), "data.version: missing required field");
  EXPECT_EQ(error_of(edited(R"("deleted": false)", R"("deleted": "no")")), "data.deleted: expected true or false");
  EXPECT_EQ(error_of(edited(R"("version": "7")", R"("version": 7)")), "data.version: expected a string");
  EXPECT_EQ(error_of(edited(R"("language": "typescript")", R"("language": 1)")), "data.language: expected a string");
  EXPECT_EQ(error_of(edited(R"("updatedAt": "2026-11-20T14:31:07Z")", R"("updatedAt": "last week")")),
            "data.updatedAt: \"last week\" is not an RFC 3339 date-time");
  EXPECT_EQ(error_of(edited(R"("browserConfiguration": {)", R"("browserConfiguration": 5, "x": {)")),
            "data.browserConfiguration: expected an object");
}

TEST(TaskVersion, RejectsVersionsThatCouldForgeCommitTrailers) {
  EXPECT_NE(error_of(edited(R"("version": "7")", R"("version": "7\nTask-Id: evil")")).find("not a version identifier"),
            std::string::npos);
  EXPECT_NE(error_of(edited(R"("version": "7")", R"("version": "")")).find("not a version identifier"),
            std::string::npos);
}

TEST(TaskVersion, RejectsInvalidBase64) {
  EXPECT_EQ(error_of(edited(R"("code": "aW1w)", R"("code": "*W1w)")),
            "data.code: invalid base64: unexpected character at offset 0");
}

TEST(TaskVersion, AcceptsLineBreaksInsideTheCode) {
  auto version = parse_task_version(edited(R"("code": "aW1w)", R"("code": "aW1w\n)"), kTaskId);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(version->code, test::read_text(TASKSYNC_TEST_DATA "/example/task.ts"));
}

TEST(TaskVersion, RejectsInvalidUtf8) {
  EXPECT_NE(error_of(edited("Read the page title", "Read \xff\xfe title")).find("malformed JSON"), std::string::npos);
}

// Every control character must come escaped, 0x1A-0x1F too (RapidJSON 1.1's SSE2 scan, were it
// turned on, would let those through), and a NUL byte anywhere ends nothing early.
TEST(TaskVersion, RejectsRawControlCharactersAndNulBytes) {
  for (const char control : {'\x01', '\x1a', '\x1b', '\x1f'}) {
    const std::string title = std::string("Read the page ") + control + " title, long enough to reach an SSE2 block";
    EXPECT_NE(error_of(edited("Read the page title", title)).find("malformed JSON"), std::string::npos)
        << static_cast<int>(control);
  }
  EXPECT_EQ(error_of(edited("Read the page title", std::string("Read\0the page title", 19))).rfind("malformed JSON", 0),
            0u);
  EXPECT_EQ(error_of(example_response() + std::string("\0{}", 3)).rfind("malformed JSON", 0), 0u);
}

TEST(TaskVersion, RejectsAbsurdNesting) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(error_of(edited(R"("tags": [)", R"("deep": )" + deep + R"(, "tags": [)")),
            "JSON nests deeper than 64 levels");
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_task_version(edited("Read the page title", std::string(200, '[')), kTaskId).ok());
}

TEST(TaskVersion, RejectsWhatRapidJsonLetsThroughButCannotBeWrittenBack) {
  // Found by the fuzzer (tests/fuzz/corpus/lone-low-surrogate.json, number-overflows-to-inf.json).
  EXPECT_EQ(error_of(edited("Read the page title", "\\udc00")), "the JSON holds a string that is not valid UTF-8");
  EXPECT_EQ(error_of(edited(R"("max_duration": 20)", R"("max_duration": 2e308)")),
            "the JSON holds a number too large to represent");
  EXPECT_EQ(error_of(edited(R"("max_duration": 20)", R"("max_duration": 20, "max_duration": 21)")),
            "the JSON holds the key \"max_duration\" twice in one object");
  // A proper surrogate pair is fine.
  EXPECT_TRUE(parse_task_version(edited("Read the page title", "\\ud83d\\ude00"), kTaskId).ok());
}

TEST(TaskVersion, EveryStringFieldLosesItsUrlUserinfoWhereItIsRead) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.language = "https://lang:marker-language@git.example/x.git";
  fake.description = "deploy via https://bot:marker-description@git.example/x.git";
  auto version = parse_task_version(fake.to_json(), kTaskId);
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(version->language, "https://lang:<redacted>@git.example/x.git");
  EXPECT_EQ(version->description, "deploy via https://bot:<redacted>@git.example/x.git");
  // A value quoted in an error is read the same way.
  const std::string refused = error_of(edited(R"("version": "7")", R"("version": "http://u:marker-v@h")"));
  EXPECT_EQ(refused.find("marker"), std::string::npos) << refused;
  EXPECT_NE(refused.find("http://u:<redacted>@h"), std::string::npos) << refused;
}
