#!/usr/bin/env bash
# Checks that every test a doc names as a proof exists: each `Suite.Test` and `Suite.*` in
# backquotes in docs/reliability.md (the table of faults, which must cite some), the other guides
# of docs/ and README.md must be a test (or a suite) of the unit or integration binary, so no
# promise keeps citing a test that was renamed or removed. Parameterised names
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

# Prints the `Suite.Test` and `Suite.*` names a file cites, one a line.
citations() { grep -oE '`[A-Z][A-Za-z0-9]*\.([A-Z][A-Za-z0-9]*|\*)`' "$1" | tr -d '`' | sort -u || true; }

[ -n "$(citations "$doc")" ] || { echo "FAIL: $doc cites no test" >&2; exit 1; }
missing=()
count=0
for file in "$1"/docs/*.md "$1/README.md"; do
  for name in $(citations "$file"); do
    count=$((count + 1))
    if [[ "$name" == *'.*' ]]; then
      grep -q "^${name%\*}" <<<"$listed" || missing+=("${file#"$1"/}: $name")
    else
      grep -qxF "$name" <<<"$listed" || missing+=("${file#"$1"/}: $name")
    fi
  done
done
if [ ${#missing[@]} -gt 0 ]; then
  printf 'FAIL: a doc cites a test that does not exist: %s\n' "${missing[@]}" >&2
  exit 1
fi
echo "ok: every one of the $count tests README.md and docs/*.md cite exists"
