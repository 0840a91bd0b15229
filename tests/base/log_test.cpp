#include "base/log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

using namespace tasksync;

namespace {

class LogTest : public ::testing::Test {
protected:
  LogTest() {
    log::set_sink([this](std::string_view line) { m_lines.emplace_back(line); });
  }
  ~LogTest() override {
    log::clear_secrets();
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
  log::error("one\n<6>forged\r");
  EXPECT_EQ(m_lines, (std::vector<std::string>{"<3>one\\x0a<6>forged\\x0d"}));
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_FALSE(parse_log_level("verbose"));
}

TEST_F(LogTest, TerminalControlsAreEscapedAndTheRestKept) {
  log::set_journal_format(true);
  log::error("task \x1b]0;pwned\x07 \x1b[2J\ttab\x7f\x01 caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82 back\\slash");
  EXPECT_EQ(m_lines, (std::vector<std::string>{"<3>task \\x1b]0;pwned\\x07 \\x1b[2J\\x09tab\\x7f\\x01 "
                                               "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x99\x82 back\\slash"}));
}

TEST_F(LogTest, C1ControlsAndInvalidUtf8AreEscapedBytewise) {
  // U+009B (CSI) in UTF-8, a lone 8-bit CSI, a truncated sequence, an overlong '/', a surrogate,
  // a code point past U+10FFFF; U+00A0 is the first code point kept.
  EXPECT_EQ(escape_controls("\xc2\x9b"
                            "2J|\x9b|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xc2\xa0"),
            "\\xc2\\x9b2J|\\x9b|\\xe2\\x82|\\xc0\\xaf|\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\xc2\xa0");
  EXPECT_EQ(escape_controls("a\tb\nc\rd\x1b", TabAndNewline::keep), "a\tb\nc\\x0dd\\x1b");
  EXPECT_EQ(escape_controls("a\tb\n"), "a\\x09b\\x0a");
  EXPECT_EQ(escape_controls(std::string("nul\0", 4)), "nul\\x00");
}

TEST_F(LogTest, EverySecretAddedIsMaskedInEveryLine) {
  log::set_journal_format(true);
  log::info("before sk-live-1234");
  log::add_secret("sk-live-1234");
  log::add_secret("");
  log::add_secret("tok");
  log::add_secret("tok-longer");
  log::add_secret("sk-live-1234");
  log::info("key sk-live-1234, then tok-longer and tok, again sk-live-1234");
  log::info("tok\x1b");
  EXPECT_EQ(m_lines, (std::vector<std::string>{"<6>before sk-live-1234",
                                               "<6>key <redacted>, then <redacted> and <redacted>, again <redacted>",
                                               "<6><redacted>\\x1b"}));
  EXPECT_EQ(log::mask_secrets("xsk-live-1234x"), "x<redacted>x");
  log::clear_secrets();
  EXPECT_EQ(log::mask_secrets("sk-live-1234"), "sk-live-1234");
}

TEST_F(LogTest, SecretsCanBeAddedWhileOtherThreadsLog) {
  log::set_journal_format(true);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        log::add_secret("secret-" + std::to_string(t) + "-" + std::to_string(i));
        log::info("thread " + std::to_string(t) + " secret-" + std::to_string(t) + "-" + std::to_string(i));
      }
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  ASSERT_EQ(m_lines.size(), 800u);
  for (const std::string &line : m_lines) {
    EXPECT_EQ(line.find("secret-"), std::string::npos) << line;
  }
}
