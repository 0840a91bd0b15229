#!/usr/bin/env bash
# Checks systemd/tasksyncd.service: `systemd-analyze verify` passes and
# `systemd-analyze security` rates its exposure at 1.5 or lower, every optional credential
# (all but the API key) has the SetCredential= fallback that keeps a missing file from failing the
# start, and LimitCORE=0 keeps the secrets in its memory out of core files.
# Usage: systemd_unit_test.sh SOURCE_DIR TASKSYNCD_BINARY
set -euo pipefail

max_exposure=1.5
[ $# -eq 2 ] || { echo "usage: $0 SOURCE_DIR TASKSYNCD_BINARY" >&2; exit 2; }
unit="$1/systemd/tasksyncd.service"
binary="$(realpath -m -- "$2")"
[ -x "$binary" ] || { echo "FAIL: $binary is not an executable" >&2; exit 1; }

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIP: systemd-analyze not found (Debian package systemd)" >&2
  exit 77
fi

# verify also checks that ExecStart names an executable, and /usr/bin/tasksyncd is not
# installed here. Verify a copy that differs only in that path, pointing at the built binary.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
text="$(<"$unit")"
printf '%s\n' "${text//ExecStart=\/usr\/bin\/tasksyncd /ExecStart=$binary }" >"$work/tasksyncd.service"
if ! grep -qF "ExecStart=$binary " "$work/tasksyncd.service"; then
  echo "FAIL: $unit: no 'ExecStart=/usr/bin/tasksyncd ' line to check" >&2
  exit 1
fi
echo "systemd-analyze verify (ExecStart=$binary)"
# verify exits 0 on an unknown or misspelt directive and only warns, so any word about our
# unit is a failure too (warnings about the system's own units are not ours to fix).
if ! output="$(systemd-analyze verify "$work/tasksyncd.service" 2>&1)" \
    || grep -q 'tasksyncd\.service' <<<"$output"; then
  printf '%s\n' "$output" >&2
  echo "FAIL: systemd-analyze verify rejects or warns about the unit" >&2
  exit 1
fi

# The unit as shipped is rated, not the copy.
report="$(systemd-analyze security --offline=yes "$unit")"
exposure="$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$report")"
if [ -z "$exposure" ]; then
  printf '%s\n' "$report" >&2
  echo "FAIL: no overall exposure level in the output above" >&2
  exit 1
fi
if awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e > max) }'; then
  printf '%s\n' "$report" >&2
  echo "FAIL: exposure $exposure is above $max_exposure; see the directives marked above" >&2
  exit 1
fi
# systemd 252 fails a start whose LoadCredential= source file is missing, unless SetCredential=
# of the same ID gives a fallback: every credential but the API key (which a run cannot do
# without) must have one, so an operator who does not push needs no push-ssh-key or push-token.
while read -r id; do
  [ "$id" = anchor-api-key ] && continue
  if ! grep -qx "SetCredential=$id:.*" "$unit"; then
    echo "FAIL: LoadCredential=$id has no SetCredential=$id: fallback; the unit would not start without its file" >&2
    exit 1
  fi
done < <(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$unit")
# A core file would hold the API key and the tokens (docs/security.md).
if ! grep -qx 'LimitCORE=0' "$unit"; then
  echo "FAIL: no LimitCORE=0: a crash of the service could write its secrets to a core file" >&2
  exit 1
fi
echo "PASS: verify clean, exposure $exposure (at most $max_exposure), optional credentials have fallbacks, no core files"
