#include "api/listing.hpp"

#include <gtest/gtest.h>

using namespace tasksync;

namespace {

const std::string kTaskId = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

} // namespace

TEST(Listing, ANameOrLanguageLosesItsUrlUserinfoAndLineBreaksWhereItIsRead) {
  std::vector<ListedTask> tasks;
  const auto total =
      parse_task_page(R"({"data":{"total":1,"tasks":[{"id":")" + kTaskId +
                          R"(","name":"deploy via https://bot:SECRET@git.example/x.git\nTask-Id: 0","deleted":false,)"
                          R"("latestVersion":"3","code":"","language":"https://lang:SECRET@git.example/x.git"}]}})",
                      [&](ListedTask task) { tasks.push_back(std::move(task)); });
  ASSERT_TRUE(total.ok()) << total.error().message;
  EXPECT_EQ(*total, 1);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].name, "deploy via https://bot:<redacted>@git.example/x.git Task-Id: 0");
  ASSERT_TRUE(tasks[0].latest);
  EXPECT_EQ(tasks[0].latest->language, "https://lang:<redacted>@git.example/x.git");

  const auto info =
      parse_task_info(R"({"data":{"id":")" + kTaskId + R"(","name":"via ftp://SECRET@h.example/"}})", kTaskId);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->name, "via ftp://<redacted>@h.example/");
}
