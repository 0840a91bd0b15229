#!/usr/bin/env bash
# Checks that docs/tasksyncd.8 describes every option `tasksyncd --help` prints and every config
# key the parser accepts (the key lists of sync/config/config.cpp's check_keys calls), and that
# it renders without a warning from groff.
# Usage: man_page_test.sh SOURCE_DIR TASKSYNCD_BINARY
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SOURCE_DIR TASKSYNCD_BINARY" >&2; exit 2; }
page="$1/docs/tasksyncd.8"
parser="$1/sync/config/config.cpp"
binary="$2"
[ -f "$page" ] || { echo "FAIL: $page is missing" >&2; exit 1; }

# The heads of the page's entries (the line after each .TP), roff's escapes undone:
# `.B \-\-once` is `.B --once`. A name must head an entry, not merely be mentioned.
heads="$(sed 's/\\-/-/g; s/\\(dq/"/g' "$page" | awk 'previous == ".TP" { print } { previous = $0 }')"
missing=()

# Options: `.B --once`, `.BI --config " file"`, `.BR -h ", " --help`.
options="$("$binary" --help | grep -oE '(^|[ ,])--?[a-z][a-z-]*' | sed 's/^[ ,]//' | sort -u)"
[ -n "$options" ] || { echo "FAIL: no options found in '$binary --help'" >&2; exit 1; }
for option in $options; do
  grep -qE "^\.(B|BI|BR) (.*\", \" )?$option( |\"|$)" <<<"$heads" || missing+=("option $option")
done

# Config keys: check_keys(node, "PREFIX", {"a", "b", ...}) calls, joined across line breaks.
keys="$(tr '\n' ' ' <"$parser" | grep -oE 'check_keys\([a-z]+, "[a-z._]*", *\{[^}]*\}' |
  while read -r call; do
    prefix="$(sed -E 's/^check_keys\([a-z]+, "([a-z._]*)".*/\1/' <<<"$call")"
    for key in $(grep -oE '\{.*\}' <<<"$call" | grep -oE '"[a-z_]+"' | tr -d '"'); do
      echo "${prefix:+$prefix.}$key"
    done
  done | sort -u)"
[ -n "$keys" ] || { echo "FAIL: no check_keys calls found in $parser" >&2; exit 1; }
for key in $keys; do
  # A section's own key (api, repo.push) is described by the keys under it.
  grep -qE "^$key\." <<<"$keys" && continue
  grep -qE "^\.(B|BR) (.*\", \" )?${key//./\\.}( |\"|$)" <<<"$heads" || missing+=("config key $key")
done

if [ ${#missing[@]} -gt 0 ]; then
  for name in "${missing[@]}"; do echo "FAIL: $page: no entry for $name" >&2; done
  exit 1
fi

# groff's own warnings, as lintian checks a manual page.
if command -v man >/dev/null; then
  warnings="$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)"
  if [ -n "$warnings" ]; then
    printf '%s\n' "$warnings" >&2
    echo "FAIL: groff warns about $page" >&2
    exit 1
  fi
else
  echo "note: man not found (Debian package man-db); groff's warnings not checked" >&2
fi
echo "PASS: $page describes $(wc -w <<<"$options") options and $(wc -w <<<"$keys") config keys"
