#include "base/log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <vector>

#include "base/hex.hpp"
#include "base/timestamp.hpp"

namespace tasksync {

std::optional<LogLevel> parse_log_level(std::string_view name) {
  if (name == "error") return LogLevel::error;
  if (name == "warning") return LogLevel::warning;
  if (name == "info") return LogLevel::info;
  if (name == "debug") return LogLevel::debug;
  return std::nullopt;
}

namespace {

// The length of the valid UTF-8 sequence starting at `text[at]` (a non-ASCII lead byte), or 0
// when it is not one: overlong forms, surrogates and code points past U+10FFFF are invalid.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) return 0;
  }
  return length;
}

void append_escaped(std::string &out, unsigned char byte) {
  out += "\\x";
  append_hex(out, {&byte, 1});
}

} // namespace

std::string escape_controls(std::string_view text, TabAndNewline tab_and_newline) {
  std::string out;
  out.reserve(text.size());
  const bool keep = tab_and_newline == TabAndNewline::keep;
  for (std::size_t at = 0; at < text.size();) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte < 0x80) {
      const bool control = byte < 0x20 || byte == 0x7f;
      if (!control || (keep && (byte == '\t' || byte == '\n'))) {
        out += static_cast<char>(byte);
      } else {
        append_escaped(out, byte);
      }
      ++at;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text, at);
    // U+0080..U+009F (C2 80..C2 9F) are C1 controls, which some terminals obey even in UTF-8 (CSI is U+009B).
    const bool c1 = length == 2 && byte == 0xc2 && static_cast<unsigned char>(text[at + 1]) < 0xa0;
    if (length == 0) {
      append_escaped(out, byte);
      ++at;
    } else if (c1) {
      append_escaped(out, byte);
      append_escaped(out, static_cast<unsigned char>(text[at + 1]));
      at += 2;
    } else {
      out.append(text.substr(at, length));
      at += length;
    }
  }
  return out;
}

namespace log {
namespace {

// Kept apart from State: mask_secrets is public and must not take the line-writing lock.
struct Secrets {
  std::mutex mutex;
  std::atomic<bool> any{false};    // lets a line skip the lock while no secret is known
  std::vector<std::string> values; // longest first, so the longest match wins
};

Secrets &secrets() {
  static Secrets instance;
  return instance;
}

struct State {
  std::mutex mutex;
  LogLevel level = LogLevel::info;
  bool journal = false;
  Sink sink;
  std::string progress; // the progress line shown on stderr; empty: none
};

// Carriage return, then erase to the end of the line: the progress line is gone.
constexpr std::string_view kClearLine = "\r\033[K";

void write_stderr(std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stderr); }

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

void add_secret(std::string secret) {
  if (secret.empty()) return;
  Secrets &s = secrets();
  std::lock_guard lock(s.mutex);
  if (std::find(s.values.begin(), s.values.end(), secret) != s.values.end()) return;
  const auto at = std::find_if(s.values.begin(), s.values.end(),
                               [&](const std::string &known) { return known.size() < secret.size(); });
  s.values.insert(at, std::move(secret));
  s.any = true;
}

std::string mask_secrets(std::string_view text) {
  Secrets &s = secrets();
  if (!s.any) return std::string(text);
  std::lock_guard lock(s.mutex);
  std::string out;
  out.reserve(text.size());
  // One scan, so a shorter secret is never looked for inside the "<redacted>" of a longer one.
  for (std::size_t at = 0; at < text.size();) {
    const std::string_view rest = text.substr(at);
    const auto match = std::find_if(s.values.begin(), s.values.end(),
                                    [&](const std::string &secret) { return rest.starts_with(secret); });
    if (match == s.values.end()) {
      out += text[at++];
    } else {
      out += "<redacted>";
      at += match->size();
    }
  }
  return out;
}

void clear_secrets() {
  Secrets &s = secrets();
  std::lock_guard lock(s.mutex);
  s.values.clear();
  s.any = false;
}

void write(LogLevel level, std::string_view message) {
  std::lock_guard lock(state().mutex);
  State &s = state();
  if (static_cast<int>(level) > static_cast<int>(s.level)) return;
  std::string line;
  if (s.journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    line = utc_date_time(unix_now()) + " " + std::string(level_name(level)) + ": ";
  }
  // One event, one line: a line break would let a message forge further lines, and an escape
  // sequence could retitle, clear or repaint the terminal that shows the log.
  line += escape_controls(mask_secrets(message));
  if (s.sink) {
    s.sink(line);
    return;
  }
  line += '\n';
  if (!s.progress.empty()) line = std::string(kClearLine) + line + s.progress;
  write_stderr(line);
}

void show_progress(std::string_view text) {
  std::lock_guard lock(state().mutex);
  State &s = state();
  s.progress = escape_controls(mask_secrets(text));
  write_stderr(std::string(kClearLine) + s.progress);
}

void end_progress() {
  std::lock_guard lock(state().mutex);
  State &s = state();
  if (s.progress.empty()) return;
  s.progress.clear();
  write_stderr(kClearLine);
}

} // namespace log
} // namespace tasksync
