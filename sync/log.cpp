#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace tasksync {

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "error") return LogLevel::error;
  if (name == "warning") return LogLevel::warning;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return std::nullopt;
}

namespace log {
namespace {

struct State {
  std::mutex mutex;
  LogLevel level = LogLevel::info;
  bool journal = false;
  Sink sink;
};

State &state() {
  static State instance;
  return instance;
}

std::string_view level_name(LogLevel level) {
  switch (level) {
  case LogLevel::error: return "error";
  case LogLevel::warning: return "warning";
  case LogLevel::info: return "info";
  case LogLevel::debug: return "debug";
  }
  return "info";
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

} // namespace

void set_level(LogLevel level) {
  std::lock_guard lock(state().mutex);
  state().level = level;
}

void set_journal_format(bool journal) {
  std::lock_guard lock(state().mutex);
  state().journal = journal;
}

void set_sink(Sink sink) {
  std::lock_guard lock(state().mutex);
  state().sink = std::move(sink);
}

bool enabled(LogLevel level) {
  std::lock_guard lock(state().mutex);
  return static_cast<int>(level) <= static_cast<int>(state().level);
}

void write(LogLevel level, std::string_view message) {
  std::lock_guard lock(state().mutex);
  State &s = state();
  if (static_cast<int>(level) > static_cast<int>(s.level)) return;
  std::string line;
  if (s.journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    line = utc_now() + " " + std::string(level_name(level)) + ": ";
  }
  // One event, one line: embedded line breaks would let a message forge further lines.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  if (s.sink) {
    s.sink(line);
    return;
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace log
} // namespace tasksync
