#!/usr/bin/env bash
# Checks that every test docs/reliability.md names as a proof exists: each `Suite.Test` and
# `Suite.*` in backquotes must be a test (or a suite) of the unit or integration binary, so the
# table cannot keep citing a test that was renamed or removed. Parameterised names
# (`Prefix/Suite.Test/Param`, `...`) and ctest names without a dot are not checked.
# Usage: reliability_doc_test.sh SOURCE_DIR UNIT_TEST_BINARY INTEGRATION_TEST_BINARY
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 SOURCE_DIR UNIT_TEST_BINARY INTEGRATION_TEST_BINARY" >&2; exit 2; }
doc="$1/docs/reliability.md"
[ -f "$doc" ] || { echo "FAIL: $doc is missing" >&2; exit 1; }

# `--gtest_list_tests` prints "Suite." then "  Test" lines: joined as Suite.Test, one a line.
listed="$(for binary in "$2" "$3"; do "$binary" --gtest_list_tests; done |
  awk '/^[^ ]/ { suite = $1; next } { print suite $1 }')"
[ -n "$listed" ] || { echo "FAIL: the test binaries list no tests" >&2; exit 1; }

cited="$(grep -oE '`[A-Z][A-Za-z0-9]*\.([A-Z][A-Za-z0-9]*|\*)`' "$doc" | tr -d '`' | sort -u)"
[ -n "$cited" ] || { echo "FAIL: $doc cites no test" >&2; exit 1; }
missing=()
for name in $cited; do
  if [[ "$name" == *'.*' ]]; then
    grep -q "^${name%\*}" <<<"$listed" || missing+=("$name")
  else
    grep -qxF "$name" <<<"$listed" || missing+=("$name")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  printf 'FAIL: docs/reliability.md cites tests that do not exist: %s\n' "${missing[@]}" >&2
  exit 1
fi
echo "ok: every one of the $(wc -l <<<"$cited") tests docs/reliability.md cites exists"
