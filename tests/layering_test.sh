#!/usr/bin/env bash
# The layers of sync/ (lowest first, as in docs/development.md): a file may include
# only from its own folder and the folders before it, always naming the folder. Prints every
# include that breaks the rule and fails; usage: layering_test.sh SOURCE_DIR
set -euo pipefail
layers=(base config secrets api render pack git publish run ops service)
cd "$1/sync"
failures=0
for index in "${!layers[@]}"; do
  layer=${layers[$index]}
  allowed=" ${layers[*]:0:$((index + 1))} "
  while IFS= read -r line; do
    file=${line%%:*}
    included=$(sed -E 's/.*#include "([^"]*)".*/\1/' <<<"$line")
    folder=${included%%/*}
    if [[ $included != */* ]]; then
      echo "$file: includes \"$included\" without naming its folder"
      failures=$((failures + 1))
    elif [[ $allowed != *" $folder "* ]]; then
      echo "$file: $layer may not include \"$included\" ($folder is not below it)"
      failures=$((failures + 1))
    fi
  done < <(grep -rn '#include "' "$layer" || true)
done
# Within ops/: http/ (the listener: connections, deadlines, framing) is below the routes, and
# includes nothing of ops/ outside ops/http/.
while IFS= read -r line; do
  echo "${line%%:*}: ops/http may not include \"$(sed -E 's/.*#include "([^"]*)".*/\1/' <<<"$line")\" (only ops/http/ of ops/)"
  failures=$((failures + 1))
done < <(grep -rn '#include "ops/' ops/http | grep -v '#include "ops/http/' || true)
stray=$(find . -maxdepth 1 -name '*.[ch]pp')
if [ -n "$stray" ]; then
  echo "outside every layer: $stray"
  failures=$((failures + 1))
fi
if [ "$failures" -gt 0 ]; then
  echo "FAIL: $failures include(s) break the layering"
  exit 1
fi
echo "PASS: every include of sync/ names a folder at or below its own layer"
