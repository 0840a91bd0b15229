#!/usr/bin/env bash
# The cost of signed commits (issue 14): tasksyncd --once imports N tasks from bench-api into an
# empty repository, RUNS times without repo.signing_key_file and RUNS times with it (alternating,
# so that a drift of the machine falls on both), on plain HTTP on loopback, where the network
# costs least and signing's share of the import is therefore the largest. Prints medians of wall
# and CPU time and the ratio, checks that every commit verifies (git verify-commit, last signed
# run), and writes the table to bench/RESULTS.md as the section "Signing".
#
# usage: bench/signing.sh [N] [RUNS]    (default 1000 tasks, 5 runs each)
# Environment: BENCH_BUILD_DIR as for bench/run.sh (default: a Release build in build-bench/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000}
runs=${2:-5}
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || { sed -n 's/^# \{0,1\}//; 9p' "$0" >&2; exit 2; }
die() { echo "bench: $*" >&2; exit 1; }
"$root/tools/install-deps"
command -v /usr/bin/time >/dev/null || apt-get install -y time >&2
build=${BENCH_BUILD_DIR:-$root/build-bench}
[ -n "${BENCH_BUILD_DIR:-}" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTASKSYNC_TESTS=ON >/dev/null
cmake --build "$build" --target tasksyncd bench-api >&2
tasksyncd=$build/daemon/tasksyncd
key=bench-key
export ANCHORBROWSER_API_KEY=$key

work=$(mktemp -d "${TMPDIR:-/tmp}/tasksync-signing.XXXXXX")
api_pid=""
trap '[ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$build/bench/bench-api" --tasks "$n" --api-key "$key" --ids-file "$work/ids.txt" >"$work/api.out" 2>"$work/api.err" &
api_pid=$!
for _ in $(seq 1200); do [ -s "$work/api.out" ] && break; sleep 0.05; done
base_url=$(head -n1 "$work/api.out")
[[ $base_url == http://* ]] || die "bench-api did not start: $(cat "$work/api.err")"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$work/signing-key"

# import MODE RUN: one import into a fresh repository, signed when MODE is "signed"; appends
# "MODE wall cpu" to $work/times.
import() {
  local mode=$1 dir=$work/$1-$2
  mkdir -p "$dir"
  { printf 'api:\n  base_url: %s\nrepo:\n  path: %s/mirror\n  drafts: false\n' "$base_url" "$dir"
    [ "$mode" = unsigned ] || printf '  signing_key_file: %s\n' "$work/signing-key"
    printf 'tasks:\n'; sed 's/^/  - /' "$work/ids.txt"; } >"$dir/config.yaml"
  /usr/bin/time -f '%e %U %S' -o "$dir/time" "$tasksyncd" --config "$dir/config.yaml" --once 2>"$dir/log" ||
    die "$mode import failed: $(tail -n 5 "$dir/log")"
  [ "$(git -C "$dir/mirror" rev-list --count HEAD)" -eq "$n" ] || die "$mode import did not make $n commits"
  awk -v mode="$mode" '{printf "%s %s %.2f\n", mode, $1, $2 + $3}' "$dir/time" >>"$work/times"
}
for run in $(seq "$runs"); do
  if [ $((run % 2)) -eq 1 ]; then import unsigned "$run"; import signed "$run"; else import signed "$run"; import unsigned "$run"; fi
  [ "$run" -eq "$runs" ] || rm -rf "$work"/*-"$run"
done

# Every signed commit verifies with the allowed-signers line tasksyncd prints.
last=$work/signed-$runs
"$tasksyncd" --config "$last/config.yaml" --print-allowed-signers >"$work/allowed_signers"
unverified=$(git -C "$last/mirror" rev-list HEAD | while read -r commit; do
  git -C "$last/mirror" -c gpg.ssh.allowedSignersFile="$work/allowed_signers" verify-commit "$commit" 2>/dev/null || echo "$commit"
done | wc -l)
[ "$unverified" -eq 0 ] || die "$unverified signed commits do not verify"

median() { awk -v mode="$1" -v col="$2" '$1 == mode {print $col}' "$work/times" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
wall_u=$(median unsigned 2); wall_s=$(median signed 2); cpu_u=$(median unsigned 3); cpu_s=$(median signed 3)
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f%%", (b - a) / a * 100}'; }
verdict=$(awk -v a="$wall_u" -v b="$wall_s" 'BEGIN {print (b <= a * 1.10) ? "met" : "not met"}')
section=$(cat <<SECTION
## Signing (issue 14)

\`bench/signing.sh $n $runs\` at $(git -C "$root" rev-parse --short HEAD), $(date -u +%Y-%m-%d), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end: \`tasksyncd --once\` importing $n tasks into an empty repository over plain HTTP on loopback (the network costs least here, so signing's share is the largest), medians of $runs runs each, alternating.

| import of $n tasks | wall (s) | CPU user+sys (s) |
|---|---|---|
| unsigned | $wall_u | $cpu_u |
| signed (ed25519, SSHSIG) | $wall_s | $cpu_s |
| difference | $(pct "$wall_u" "$wall_s") | $(pct "$cpu_u" "$cpu_s") |

Target: signing adds at most 10% to the import: **$verdict**. All $n commits of the last signed import verified with \`git verify-commit\` and the line \`--print-allowed-signers\` printed.
SECTION
)
echo "$section"
results=$root/bench/RESULTS.md
awk -v section="$section" '
  /^## Signing \(issue 14\)/ {skip = 1; next}
  skip && /^## / {skip = 0}
  !skip {print}
  END {print ""; print section}' "$results" | cat -s >"$work/results" && cp "$work/results" "$results"
