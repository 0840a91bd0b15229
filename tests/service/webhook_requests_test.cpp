#include "service/webhook_requests.hpp"

#include <gtest/gtest.h>

#include "fake_api.hpp"

using namespace tasksync;

namespace {

// Webhooks that may name the tasks numbered 1 and 2, with repo.drafts, `tasks: all` less task 3.
class WebhookRequestsTest : public ::testing::Test {
protected:
  WebhookRequestsTest() {
    Config config;
    config.all_tasks = true;
    config.tasks_exclude = {test::numbered_task_id(3)};
    config.repo.drafts = true;
    m_requests.follow(config);
    m_requests.set_mirrored({test::numbered_task_id(1), test::numbered_task_id(2)});
  }

  // A task.healed event (or another task event) naming the task numbered `number`.
  static TaskEventRequest event(int number, bool healed) {
    TaskEventRequest request;
    request.task_id = test::numbered_task_id(number);
    request.healed = healed;
    request.healed_version_id = "draft-" + std::to_string(number);
    return request;
  }

  WebhookRequests m_requests;
};

} // namespace

TEST_F(WebhookRequestsTest, AMirroredTaskStartsAPassOrFollowsTheOneRunning) {
  EXPECT_FALSE(m_requests.tasks_asked());
  EXPECT_EQ(m_requests.add(event(1, false), false), TaskPassRequest::started);
  EXPECT_EQ(m_requests.add(event(2, true), true), TaskPassRequest::queued);
  EXPECT_TRUE(m_requests.tasks_asked());
  const WebhookRequests::Tasks taken = m_requests.take_tasks();
  EXPECT_EQ(taken.tasks, (std::set<std::string>{test::numbered_task_id(1), test::numbered_task_id(2)}));
  EXPECT_EQ(taken.drafts_of, std::set<std::string>{test::numbered_task_id(2)});
  EXPECT_FALSE(m_requests.tasks_asked());
}

TEST_F(WebhookRequestsTest, AnExcludedTaskIsNotMirroredAndAnUnknownHealedOneAsksForEveryDraft) {
  EXPECT_EQ(m_requests.add(event(3, true), false), TaskPassRequest::not_mirrored);
  EXPECT_EQ(m_requests.add(event(4, false), false), TaskPassRequest::not_mirrored);
  EXPECT_EQ(m_requests.add(event(4, true), false), TaskPassRequest::every_draft);
  EXPECT_FALSE(m_requests.tasks_asked());
  RunMemory memory;
  m_requests.hand_over_drafts(memory);
  EXPECT_TRUE(memory.every_draft_wanted);
  EXPECT_EQ(memory.healed_drafts.values().size(), 2u) << "both task.healed events' drafts are remembered";
}

TEST_F(WebhookRequestsTest, ATaskNoLongerMirroredWhenThePassStartsIsDropped) {
  EXPECT_EQ(m_requests.add(event(1, true), false), TaskPassRequest::started);
  EXPECT_EQ(m_requests.add(event(2, true), false), TaskPassRequest::started);
  m_requests.set_mirrored({test::numbered_task_id(2)}); // a reload dropped task 1
  const WebhookRequests::Tasks taken = m_requests.take_tasks();
  EXPECT_EQ(taken.tasks, std::set<std::string>{test::numbered_task_id(2)});
  EXPECT_EQ(taken.drafts_of, std::set<std::string>{test::numbered_task_id(2)});
}
