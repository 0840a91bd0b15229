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

// Whether escape_controls leaves tab and newline as they are (a diff body) or escapes them too (a log line).
enum class TabAndNewline { escape, keep };

// `text` made safe to show on a terminal: every byte that is a C0 control (below 0x20) or DEL,
// every byte that is not part of valid UTF-8, and both bytes of a UTF-8-encoded C1 control
// (U+0080..U+009F) become `\xNN` (lower-case hex); all else, other UTF-8 included, is kept.
std::string escape_controls(std::string_view text, TabAndNewline tab_and_newline = TabAndNewline::escape);

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

// Adds a secret (the API key, a push token) to the process-wide list that every log line is
// masked against: each occurrence becomes "<redacted>". Empty strings are ignored. Thread-safe.
void add_secret(std::string secret);
// `text` with every secret added so far replaced by "<redacted>" (longest match first).
std::string mask_secrets(std::string_view text);
// Empties the list of secrets (for tests).
void clear_secrets();

// Shows `text` (secrets masked, control characters escaped) as the progress line at the bottom of
// stderr, a terminal: the line is rewritten in place, and every log line written meanwhile
// clears it first and draws it again below itself, so the two never run together.
void show_progress(std::string_view text);
// Clears the progress line, if one is shown, leaving the cursor at the start of an empty line.
void end_progress();

// Writes one line at the given level, with secrets masked and control characters (line breaks
// included) escaped, so one call is one line however hostile the text in it.
void write(LogLevel level, std::string_view message);
inline void error(std::string_view message) { write(LogLevel::error, message); }
inline void warning(std::string_view message) { write(LogLevel::warning, message); }
inline void info(std::string_view message) { write(LogLevel::info, message); }
inline void debug(std::string_view message) { write(LogLevel::debug, message); }

} // namespace log
} // namespace tasksync
