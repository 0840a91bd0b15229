#include "render.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"
#include "temp_dir.hpp"

using namespace tasksync;

namespace {

const std::string kTaskId = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

TaskVersion version_from(const test::FakeVersion &fake) {
  auto version = parse_task_version(fake.to_json(), fake.task_id);
  EXPECT_TRUE(version.ok()) << version.error().message;
  return std::move(version).value();
}

} // namespace

TEST(Render, ReproducesTheWorkedExampleByteForByte) {
  auto version = parse_task_version(test::read_text(TASKSYNC_TEST_DATA "/example/response.json"), kTaskId);
  ASSERT_TRUE(version.ok()) << version.error().message;
  const Snapshot snapshot = render(*version);
  ASSERT_EQ(snapshot.files.size(), 2u);
  EXPECT_EQ(snapshot.files[0].name, "task.json");
  EXPECT_EQ(snapshot.files[0].content, test::read_text(TASKSYNC_TEST_DATA "/example/task.json"));
  EXPECT_EQ(snapshot.files[1].name, "task.ts");
  EXPECT_EQ(snapshot.files[1].content, test::read_text(TASKSYNC_TEST_DATA "/example/task.ts"));
}

TEST(Render, CodeFileFollowsTheLanguage) {
  EXPECT_EQ(code_file_name(std::nullopt), "task.ts");
  EXPECT_EQ(code_file_name("typescript"), "task.ts");
  EXPECT_EQ(code_file_name("javascript"), "task.js");
  EXPECT_EQ(code_file_name("workflow"), "task.workflow.json");
  EXPECT_EQ(code_file_name("python"), "task.txt");
  EXPECT_TRUE(is_known_language(std::nullopt));
  EXPECT_FALSE(is_known_language("python"));

  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.language = "workflow";
  fake.code = R"({"steps":[]})";
  const Snapshot snapshot = render(version_from(fake));
  EXPECT_EQ(snapshot.files[0].name, "task.json");
  EXPECT_EQ(snapshot.files[1].name, "task.workflow.json");
  EXPECT_EQ(snapshot.files[1].content, R"({"steps":[]})");
}

TEST(Render, SidecarIsCanonicalAndKeepsUnknownFields) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.language.reset();
  fake.description.reset();
  fake.browser_configuration = R"({"zeta":{"b":[3,{"y":1,"x":2}],"a":null},"alpha":1.5,"empty":{},"list":[],"text":"é\"\n"})";
  EXPECT_EQ(render_sidecar(version_from(fake)), R"({
  "browserConfiguration": {
    "alpha": 1.5,
    "empty": {},
    "list": [],
    "text": "é\"\n",
    "zeta": {
      "a": null,
      "b": [
        3,
        {
          "x": 2,
          "y": 1
        }
      ]
    }
  },
  "createdAt": "2026-10-01T08:00:00Z",
  "taskId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
  "updatedAt": "2026-11-20T14:31:07Z",
  "version": "1"
}
)");
}

TEST(Render, RedactsEveryPasswordAtAnyDepth) {
  test::FakeVersion fake;
  fake.task_id = kTaskId;
  fake.browser_configuration =
      R"({"proxy":{"password":"hunter2","username":"u"},"extra":[{"password":{"nested":"hunter3"}}],"password":987654321})";
  const std::string sidecar = render_sidecar(version_from(fake));
  EXPECT_EQ(sidecar.find("hunter"), std::string::npos) << sidecar;
  EXPECT_EQ(sidecar.find("987654321"), std::string::npos) << sidecar;
  std::size_t count = 0;
  for (auto at = sidecar.find(R"("password": "<redacted>")"); at != std::string::npos;
       at = sidecar.find(R"("password": "<redacted>")", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

TEST(Render, SameDataGivesTheSameBytes) {
  test::FakeVersion a;
  a.task_id = kTaskId;
  a.browser_configuration = R"({"b":1,"a":{"d":2,"c":3}})";
  test::FakeVersion b = a;
  b.browser_configuration = R"({"a":{"c":3,"d":2},"b":1})";
  EXPECT_EQ(render_sidecar(version_from(a)), render_sidecar(version_from(b)));
}
