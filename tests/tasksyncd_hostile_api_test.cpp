// Attacks on the real tasksyncd binary (issue 10): filled in by the work on this area.
