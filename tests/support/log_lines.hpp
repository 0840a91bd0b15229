#pragma once

// The log lines a test wrote, caught while it runs.
#include <algorithm>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.hpp"

namespace tasksync::test {

// Takes the log's lines (from any thread) while it lives, then gives the log back its default sink.
class LogLines {
public:
  LogLines() {
    log::set_sink([this](std::string_view line) {
      std::lock_guard lock(m_mutex);
      m_lines.emplace_back(line);
    });
  }
  ~LogLines() { log::set_sink({}); }
  LogLines(const LogLines &) = delete;
  LogLines &operator=(const LogLines &) = delete;

  // The lines so far that hold `text`, in order.
  std::vector<std::string> with(std::string_view text) {
    std::lock_guard lock(m_mutex);
    std::vector<std::string> lines;
    std::copy_if(m_lines.begin(), m_lines.end(), std::back_inserter(lines),
                 [&](const std::string &line) { return line.find(text) != std::string::npos; });
    return lines;
  }

private:
  std::mutex m_mutex;
  std::vector<std::string> m_lines;
};

} // namespace tasksync::test
