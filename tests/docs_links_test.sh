#!/usr/bin/env bash
# Checks that README.md stays a door and that nothing it or a guide points to has gone missing:
#  - README.md is at most 200 lines (the reference lives in docs/tasksyncd.8 and the guides);
#  - every relative link in README.md and docs/*.md, `[text](path)` or `[text](path#anchor)`,
#    names a file or directory that exists, relative to the linking file;
#  - every `#anchor` (alone: the same file) names a heading of that Markdown file, with GitHub's
#    slugs: lower case, every character but letters, digits, spaces, `-` and `_` dropped, spaces
#    made `-`, and `-1`, `-2`, ... after a repeated one. Headings and links inside fenced code
#    blocks do not count. (Letters outside ASCII are dropped here, kept by GitHub: keep headings
#    ASCII.)
# Absolute URLs (scheme:...) are not fetched.
# Usage: docs_links_test.sh SOURCE_DIR
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 SOURCE_DIR" >&2; exit 2; }
cd "$1"
max_readme_lines=200
failures=()

lines="$(wc -l <README.md)"
[ "$lines" -le "$max_readme_lines" ] ||
  failures+=("README.md has $lines lines, more than $max_readme_lines: move the reference to docs/")

# Prints the lines of a Markdown file outside fenced code blocks (``` or ~~~).
outside_code() { awk '/^ *(```|~~~)/ { fenced = !fenced; next } !fenced { print }' "$1"; }

# Prints the anchors of a Markdown file's headings, one a line, as GitHub makes them.
anchors() {
  outside_code "$1" | awk '
    /^ *#+[ \t]/ {
      text = $0
      sub(/^ *#+[ \t]+/, "", text); sub(/[ \t]+#*[ \t]*$/, "", text)
      slug = tolower(text)
      gsub(/[^a-z0-9 _-]/, "", slug); gsub(/ /, "-", slug)
      if (slug in seen) { seen[slug]++; print slug "-" seen[slug] } else { seen[slug] = 0; print slug }
    }'
}

files=(README.md docs/*.md)
links=0
for file in "${files[@]}"; do
  dir="$(dirname "$file")"
  # Each `](target)`, with an optional "title" after the target.
  while IFS= read -r target; do
    [ -n "$target" ] || continue
    case "$target" in [a-zA-Z]*:*) continue ;; esac  # https:, mailto: ...
    links=$((links + 1))
    path="${target%%#*}"
    anchor=""
    [[ "$target" == *'#'* ]] && anchor="${target#*#}"
    if [ -z "$path" ]; then
      linked="$file"
    else
      linked="$dir/$path"
      linked="${linked#./}"
      if [ ! -e "$linked" ]; then
        failures+=("$file: link to $target: $path does not exist")
        continue
      fi
    fi
    if [ -n "$anchor" ]; then
      if [[ "$linked" != *.md ]]; then
        failures+=("$file: link to $target: an anchor in a file that is not Markdown")
      elif ! anchors "$linked" | grep -qxF -- "$anchor"; then
        failures+=("$file: link to $target: $linked has no heading #$anchor")
      fi
    fi
  done < <(outside_code "$file" | grep -oE '\]\([^) ]+( "[^"]*")?\)' | sed -E 's/^\]\(//; s/( "[^"]*")?\)$//')
done

if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAIL: %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "PASS: README.md has $lines lines; the $links relative links of ${#files[@]} files all lead somewhere"
