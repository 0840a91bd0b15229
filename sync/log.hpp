#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tasksync {

// Severity of a log line; the values are syslog's, as sd-daemon prefixes use them.
enum class LogLevel { error = 3, warning = 4, info = 6, debug = 7 };

// Parses "error", "warning", "info" or "debug".
std::optional<LogLevel> parse_log_level(std::string_view name);

namespace log {

// Where finished lines go (stderr by default); tests capture lines here.
using Sink = std::function<void(std::string_view line)>;

// Lines less severe than `level` are dropped.
void set_level(LogLevel level);
// true: "<3>message" lines for journald; false: "2026-11-28T20:18:05Z error: message".
void set_journal_format(bool journal);
// Replaces the sink; an empty function restores stderr.
void set_sink(Sink sink);
// True when a line at `level` would be written.
bool enabled(LogLevel level);

// Writes one line at the given level. Never pass secrets: lines end up in the journal.
void write(LogLevel level, std::string_view message);
inline void error(std::string_view message) { write(LogLevel::error, message); }
inline void warning(std::string_view message) { write(LogLevel::warning, message); }
inline void info(std::string_view message) { write(LogLevel::info, message); }
inline void debug(std::string_view message) { write(LogLevel::debug, message); }

} // namespace log
} // namespace tasksync
