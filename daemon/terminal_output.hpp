#pragma once

namespace tasksyncd {

// True when output to `fd` may carry ANSI colours: it is a terminal, NO_COLOR is unset or empty
// (https://no-color.org: any non-empty value disables colour) and TERM is not "dumb".
bool colour_wanted(int fd);

// True when the file descriptor `fd` is the journal stream that `journal_stream` (the value of
// $JOURNAL_STREAM, "DEVICE:INODE" in decimal; null when unset) names. systemd sets the variable
// for a service whose stdout or stderr is connected to the journal, and documents comparing it
// with fstat() of the descriptor: a variable inherited by a process whose stderr was redirected
// (a shell started from a service, `tasksyncd ... 2>file`) must not switch the log format.
bool is_journal_stream(int fd, const char *journal_stream);

} // namespace tasksyncd
