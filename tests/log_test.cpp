#include "log.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace tasksync;

namespace {

class LogTest : public ::testing::Test {
protected:
  LogTest() {
    log::set_sink([this](std::string_view line) { m_lines.emplace_back(line); });
  }
  ~LogTest() override {
    log::set_sink({});
    log::set_level(LogLevel::info);
    log::set_journal_format(false);
  }
  std::vector<std::string> m_lines;
};

} // namespace

TEST_F(LogTest, PlainFormatHasATimestampAndLevel) {
  log::set_journal_format(false);
  log::warning("task x: slow");
  ASSERT_EQ(m_lines.size(), 1u);
  // "2026-11-28T20:18:05Z warning: task x: slow"
  const std::string &line = m_lines[0];
  ASSERT_EQ(line.size(), 21 + std::string("warning: task x: slow").size()) << line;
  EXPECT_EQ(line.substr(21), "warning: task x: slow");
  EXPECT_EQ(line[4], '-');
  EXPECT_EQ(line[10], 'T');
  EXPECT_EQ(line[19], 'Z');
}

TEST_F(LogTest, JournalFormatUsesPriorityPrefixes) {
  log::set_journal_format(true);
  log::set_level(LogLevel::debug);
  log::error("e");
  log::warning("w");
  log::info("i");
  log::debug("d");
  EXPECT_EQ(m_lines, (std::vector<std::string>{"<3>e", "<4>w", "<6>i", "<7>d"}));
}

TEST_F(LogTest, LevelFiltersAndLineBreaksCannotForgeLines) {
  log::set_journal_format(true);
  log::set_level(LogLevel::warning);
  log::info("dropped");
  log::error("one\n<6>forged");
  EXPECT_EQ(m_lines, (std::vector<std::string>{"<3>one <6>forged"}));
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_FALSE(parse_log_level("verbose"));
}
