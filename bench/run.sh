#!/usr/bin/env bash
# The benchmark of issue 6 in one command. On one fake API (bench-api) serving N generated tasks,
# side by side:
#   - tasksyncd --once: initial import, a no-change pass, a pass after 1% of the tasks changed,
#     and a pass after one task changed;
#   - bench/baseline.sh, the curl | jq | base64 + git cron script, for the initial import;
#   - wrk with tasksyncd's concurrency, as the HTTP ceiling of the fake API.
# Each run starts from fresh temp dirs and a fresh fake API. Prints a table of medians and
# ratios, and puts it in bench/RESULTS.md as the section for this N (replacing an older section
# for the same N, keeping the others), with the machine it ran on.
#
# usage: bench/run.sh [N] [RUNS] [--smoke]
#   N      tasks (default 1000)
#   RUNS   runs per phase; the table shows medians (default 3)
#   --smoke  CI: every phase, quickly; fails only if a phase fails; RESULTS.md is left alone
# Environment: BENCH_WRK_SECONDS (default 10, smoke 2), BENCH_BASELINE_TASKS (default 1000: the
# baseline runs on at most that many tasks and is extrapolated linearly beyond, as labelled),
# BENCH_KEEP=1 keeps the temp dirs.
set -euo pipefail

usage() { sed -n 's/^# \{0,1\}//; 12,19p' "$0"; }
root=$(cd "$(dirname "$0")/.." && pwd)
smoke=false
positional=()
for arg in "$@"; do
  case $arg in
  --smoke) smoke=true ;;
  -h | --help) usage; exit 0 ;;
  -*) usage >&2; exit 2 ;;
  *) positional+=("$arg") ;;
  esac
done
n=${positional[0]:-1000}
runs=${positional[1]:-3}
if ! [[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || [ ${#positional[@]} -gt 2 ]; then
  usage >&2
  exit 2
fi
wrk_seconds=${BENCH_WRK_SECONDS:-$($smoke && echo 2 || echo 10)}
baseline_tasks=$((n < ${BENCH_BASELINE_TASKS:-1000} ? n : ${BENCH_BASELINE_TASKS:-1000}))
daemon_passes=$($smoke && echo 12 || echo 100)
concurrency=4   # tasksyncd's poll.concurrency default; wrk gets as many connections
wrk_threads=2   # one per core of the 2-core target machine; wrk needs connections >= threads
key=bench-key

say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- packages and build ------------------------------------------------------------------------
# Build dependencies come from the project's own list; the benchmark's tools from here.
"$root/tools/install-deps"
missing=()
for package in wrk jq curl time strace git; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  say "installing ${missing[*]}"
  $sudo apt-get update >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

build=$root/build-bench
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTASKSYNC_TESTS=ON >/dev/null
cmake --build "$build" --target tasksyncd bench-api bench-io >&2
# What was built: others commit to the measured code while a long run goes on.
measured="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" status --porcelain -- sync daemon CMakeLists.txt |
  awk '{print $2}' | paste -sd, | sed 's/,/, /g; s/^./ with uncommitted changes to &/')"
tasksyncd=$build/daemon/tasksyncd
bench_io=$build/bench/bench-io
export ANCHORBROWSER_API_KEY=$key

# --- helpers -----------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tasksync-bench.XXXXXX")
values=$work/values.tsv # one "metric<TAB>value" line per measurement
api_pid=""
cleanup() {
  [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

put() { printf '%s\t%s\n' "$1" "$2" >>"$values"; }

start_api() {
  "$build/bench/bench-api" --tasks "$n" --api-key "$key" --ids-file "$dir/ids.txt" >"$dir/api.out" 2>"$dir/api.err" &
  api_pid=$!
  for _ in $(seq 1200); do [ -s "$dir/api.out" ] && break; sleep 0.05; done
  base_url=$(head -n1 "$dir/api.out")
  [[ $base_url == http://* ]] || die "bench-api did not start: $(cat "$dir/api.err")"
}

stop_api() {
  kill "$api_pid"
  wait "$api_pid" || true
  api_pid=""
}

# change SIGNAL: has bench-api change tasks (USR1: 1%, USR2: one), and waits until it has.
change() {
  local before
  before=$(grep -c '^changed' "$dir/api.out" || true)
  kill -"$1" "$api_pid"
  for _ in $(seq 600); do
    [ "$(grep -c '^changed' "$dir/api.out" || true)" -gt "$before" ] && return 0
    sleep 0.05
  done
  die "bench-api did not apply SIG$1"
}

# measure NAME CMD...: runs CMD under /usr/bin/time -v (peak RSS, CPU) and bench-io (wall time,
# bytes written to storage). Its stderr (the log) goes through a pipe, so log lines are not
# counted as its disk writes; stdout is not used by any phase.
measure() {
  local name=$1
  shift
  if ! /usr/bin/time -v -o "$dir/$name.time" "$bench_io" "$dir/$name.io" "$@" 2>&1 >/dev/null | cat >"$dir/$name.log"; then
    tail -n 20 "$dir/$name.log" >&2
    die "$name failed (run $run); log above"
  fi
  put "$name.wall" "$(awk '$1 == "wall_seconds" {print $2}' "$dir/$name.io")"
  put "$name.write_bytes" "$(awk '$1 == "write_bytes" {print $2}' "$dir/$name.io")"
  put "$name.rss_kib" "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/$name.time")"
  put "$name.cpu" "$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$dir/$name.time")"
}

# Loose plus packed objects in the mirror.
objects() {
  [ -d "$dir/mirror/.git" ] || { echo 0; return; }
  git -C "$dir/mirror" count-objects -v | awk '/^(count|in-pack):/ {s += $2} END {print s}'
}
commits() { git -C "$dir/mirror" rev-list --count HEAD 2>/dev/null || echo 0; }

# tasksyncd --once, measured as NAME; checks the pass made exactly EXPECTED commits.
sync_pass() {
  local name=$1 expected=$2 before_commits before_objects
  before_commits=$(commits)
  before_objects=$(objects)
  measure "$name" "$tasksyncd" --config "$dir/config.yaml" --once
  local made=$(($(commits) - before_commits))
  [ "$made" -eq "$expected" ] || die "$name made $made commits, expected $expected (run $run)"
  [ -z "$(git -C "$dir/mirror" status --porcelain)" ] || die "$name left the work tree dirty (run $run)"
  put "$name.objects" $(($(objects) - before_objects))
}

# The daemon itself (not --once) for CYCLES passes, one task changed before each: its memory
# after 10 passes and at the end (a leak would grow it), and the packs and loose objects left.
daemon_cycles() {
  local cycles=$1 log=$dir/daemon.log pid done_passes=0
  sed 's/^poll:$/poll:\n  interval_seconds: 1/' "$dir/config.yaml" >"$dir/daemon.yaml"
  "$tasksyncd" --config "$dir/daemon.yaml" 2>"$log" &
  pid=$!
  for cycle in $(seq "$cycles"); do
    for _ in $(seq 1200); do
      done_passes=$(grep -c 'pass finished' "$log" || true)
      [ "$done_passes" -ge "$cycle" ] && break
      kill -0 "$pid" 2>/dev/null || die "the daemon exited: $(tail -n 5 "$log")"
      sleep 0.05
    done
    [ "$done_passes" -ge "$cycle" ] || die "the daemon did not finish pass $cycle"
    [ "$cycle" -eq 10 ] && put daemon.rss10_kib "$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")"
    change USR2
  done
  put daemon.rss_end_kib "$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")"
  put daemon.hwm_kib "$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")"
  kill -TERM "$pid"
  wait "$pid" || die "the daemon did not stop cleanly: $(tail -n 5 "$log")"
  put daemon.commits "$(grep -c ', commit ' "$log" || true)"
  put daemon.packs "$(find "$dir/mirror/.git/objects/pack" -name '*.pack' | wc -l)"
  git -C "$dir/mirror" count-objects -v >"$work/count-objects.daemon"
  local fsck
  fsck=$(git -C "$dir/mirror" fsck --strict 2>&1) || die "git fsck after the daemon run: $fsck"
}

# Every file-changing system call of a no-change pass, from strace (separate, untimed run):
# opens for writing or creating, renames, unlinks, mkdirs, truncates, links, syncs.
trace_no_change() {
  # -ff: one file per thread, so no call is split into "unfinished" and "resumed" halves.
  mkdir -p "$dir/strace"
  strace -ff -qq -o "$dir/strace/thread" \
    -e trace=open,openat,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,rmdir,link,linkat,symlink,symlinkat,truncate,ftruncate,fsync,fdatasync,pwrite64,utimensat \
    "$tasksyncd" --config "$dir/config.yaml" --once 2>/dev/null
  cat "$dir"/strace/thread.* | grep -v ' = -1 ' |
    grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|rename|unlink|mkdir|rmdir|link\(|symlink|truncate|fsync|fdatasync|pwrite64|utimensat' \
      >"$dir/strace.writes" || true
  cp "$dir/strace.writes" "$work/strace.writes"
}

# --- the runs ----------------------------------------------------------------------------------
say "N=$n, $runs run(s), wrk ${wrk_seconds}s, baseline on $baseline_tasks task(s), work dir $work"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq "$runs"); do
  dir=$work/run$run
  mkdir -p "$dir"
  start_api
  { printf 'api:\n  base_url: %s\npoll:\n  concurrency: %d\nrepo:\n  path: mirror\ntasks:\n' "$base_url" "$concurrency"
    sed 's/^/  - /' "$dir/ids.txt"; } >"$dir/config.yaml"

  say "run $run/$runs: tasksyncd import"
  sync_pass import "$n"
  git -C "$dir/mirror" count-objects -v >"$work/count-objects.import"
  say "run $run/$runs: tasksyncd no-change pass"
  sync_pass no_change 0
  [ "$run" -gt 1 ] || trace_no_change

  say "run $run/$runs: wrk -t$wrk_threads -c$concurrency -d${wrk_seconds}s"
  wrk -t"$wrk_threads" -c"$concurrency" -d"${wrk_seconds}s" -s "$root/bench/latest.lua" "$base_url" \
    -- "$dir/ids.txt" "$key" >"$dir/wrk.out"
  ! grep -qE 'Non-2xx' "$dir/wrk.out" || die "wrk got errors: $(cat "$dir/wrk.out")"
  put wrk.rps "$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.out")"

  say "run $run/$runs: baseline.sh on $baseline_tasks tasks"
  head -n "$baseline_tasks" "$dir/ids.txt" >"$dir/baseline-ids.txt"
  measure baseline bash "$root/bench/baseline.sh" "$base_url" "$dir/baseline-ids.txt" "$dir/baseline"
  # Same work as tasksyncd's, to the byte: the baseline's task directories are tasksyncd's trees.
  git -C "$dir/baseline" ls-tree HEAD tasks/ >"$dir/baseline.trees"
  git -C "$dir/mirror" ls-tree HEAD tasks/ | grep -Ff "$dir/baseline.trees" >"$dir/same.trees" || true
  put baseline.identical "$(wc -l <"$dir/same.trees")"

  say "run $run/$runs: tasksyncd after 1% changed"
  change USR1
  sync_pass one_percent "$(grep '^changed' "$dir/api.out" | tail -n1 | cut -d' ' -f2)"
  say "run $run/$runs: tasksyncd after one task changed"
  change USR2
  sync_pass one_task 1
  git -C "$dir/mirror" count-objects -v >"$work/count-objects.end"
  if [ "$run" -eq 1 ]; then
    say "run $run/$runs: the daemon for $daemon_passes passes, one task changed before each"
    daemon_cycles "$daemon_passes"
  fi
  stop_api
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- statistics and the table ------------------------------------------------------------------
# median METRIC / low METRIC / high METRIC over the runs.
list() { awk -F'\t' -v k="$1" '$1 == k {print $2}' "$values" | sort -g; }
median() { list "$1" | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
low() { list "$1" | head -n1; }
high() { list "$1" | tail -n1; }
calc() { awk "BEGIN {printf \"$1\", ($2)}"; } # parenthesised: a bare > would be awk's redirection
spread() { [ "$runs" -eq 1 ] && return; echo " [$(calc %.2f "$(low "$1")")–$(calc %.2f "$(high "$1")")]"; }
mib() { calc %.1f "$1 / 1024"; }
bytes() { local b=$1; if [ "$b" -ge 1048576 ]; then echo "$(calc %.1f "$b / 1048576") MiB"; elif [ "$b" -ge 1024 ]; then echo "$(calc %.1f "$b / 1024") KiB"; else echo "$b B"; fi; }
verdict() { if [ "$(calc %d "$1")" -eq 1 ]; then echo "**met**"; else echo "**not met**"; fi; }

changed_1pct=$((n / 100 > 0 ? n / 100 : 1))
scale=$(calc %.6f "$n / $baseline_tasks")
baseline_wall=$(calc %.3f "$(median baseline.wall) * $scale")
import_wall=$(median import.wall)
no_change_wall=$(median no_change.wall)
no_change_rps=$(calc %.0f "$n / $no_change_wall")
wrk_rps=$(median wrk.rps)
import_ratio=$(calc %.1f "$baseline_wall / $import_wall")
rate_ratio=$(calc %.2f "$no_change_rps / $wrk_rps")
pct_ratio=$(calc %.2f "$(median one_percent.wall) / $no_change_wall")
one_ratio=$(calc %.2f "$(median one_task.wall) / $no_change_wall")
no_change_written=$(high no_change.write_bytes)
peak_rss=0
for phase in import no_change one_percent one_task; do
  rss=$(high "$phase.rss_kib")
  [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
done
if [ "$baseline_tasks" -eq "$n" ]; then
  baseline_label="baseline.sh, initial import"
else
  baseline_label="baseline.sh, initial import: **run on $baseline_tasks of $n tasks, time ×$(calc %g "$scale") (linear extrapolation)**"
fi
objects_per_commit=$(calc %.1f "$(median one_percent.objects) / $changed_1pct")

row() { # row LABEL PHASE TASKS OBJECTS
  local p=$2
  printf '| %s | %.2f%s | %.0f | %.2f | %s | %s | %s |\n' "$1" "$(median "$p.wall")" "$(spread "$p.wall")" \
    "$(calc %f "$3 / $(median "$p.wall")")" "$(median "$p.cpu")" "$(mib "$(high "$p.rss_kib")")" \
    "$(bytes "$(high "$p.write_bytes")")" "$4"
}

section=$work/section.md
{
  echo "<!-- bench N=$n begin -->"
  echo "## N = $n tasks"
  echo
  echo "\`bench/run.sh $n $runs\`, $(date -u '+%Y-%m-%d %H:%M UTC'), tasksync $measured (as built at the start), Release build."
  echo "Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"); load average $load_before before, $load_after after (other jobs shared the CPU)."
  echo
  echo "Medians of $runs run(s)$([ "$runs" -gt 1 ] && echo ', [min–max] after the wall time'). Wall time is the whole process (start to exit). RSS is the peak of the worst run (/usr/bin/time -v \"Maximum resident set size\"); written = write_bytes from /proc (bytes the process dirtied for the disk, 4 KiB pages), worst run."
  echo
  echo "| phase | wall s | tasks/s | CPU s (user+sys) | peak RSS MiB | written | objects added |"
  echo "|---|---|---|---|---|---|---|"
  row "tasksyncd --once, initial import" import "$n" "$(median import.objects)"
  row "tasksyncd --once, no change" no_change "$n" "$(median no_change.objects)"
  row "tasksyncd --once, 1% changed ($changed_1pct tasks)" one_percent "$n" "$(median one_percent.objects) ($objects_per_commit per commit)"
  row "tasksyncd --once, 1 task changed" one_task "$n" "$(median one_task.objects)"
  printf '| %s | %.2f%s | %.0f | %.2f | – | %s | – |\n' "$baseline_label" "$baseline_wall" \
    "$([ "$baseline_tasks" -eq "$n" ] && spread baseline.wall)" "$(calc %f "$n / $baseline_wall")" "$(median baseline.cpu)" \
    "$(bytes "$(high baseline.write_bytes)")"
  printf '| wrk -t%d -c%d -d%ds, GET /v1/task/{id}/latest | – | %.0f req/s%s | – | – | – | – |\n' \
    "$wrk_threads" "$concurrency" "$wrk_seconds" "$wrk_rps" "$(spread wrk.rps)"
  echo
  echo "| target (issue 6) | measured | |"
  echo "|---|---|---|"
  echo "| import ≥ 50× faster than baseline.sh | $import_ratio× (baseline $(calc %.1f "$baseline_wall") s / tasksyncd $(calc %.2f "$import_wall") s) | $(verdict "$import_ratio >= 50") |"
  echo "| no-change pass ≥ 50% of wrk's request rate | $(calc %.0f "$rate_ratio * 100")% ($no_change_rps of $(calc %.0f "$wrk_rps") req/s) | $(verdict "$rate_ratio >= 0.5") |"
  echo "| no-change pass writes nothing to disk | write_bytes $no_change_written; $(wc -l <"$work/strace.writes") system call(s) that could change a file (strace, below) | $(verdict "$no_change_written == 0") |"
  echo "| 1%-changed pass ≤ 1.2× a no-change pass (target at N = 10,000) | $pct_ratio× | $(verdict "$pct_ratio <= 1.2") |"
  echo "| one-changed-task pass ≤ 1.2× a no-change pass (target at N = 10,000) | $one_ratio× | $(verdict "$one_ratio <= 1.2") |"
  echo "| a changed task writes a constant number of objects | $(median one_task.objects) for 1 commit; $objects_per_commit per commit over $changed_1pct | $(verdict "$(median one_task.objects) == $objects_per_commit") |"
  echo "| peak RSS < 64 MiB (target at N = 10,000) | $(mib "$peak_rss") MiB | $(verdict "$peak_rss < 65536") |"
  echo "| daemon memory flat over $daemon_passes passes (one commit each) | RSS $(mib "$(median daemon.rss10_kib)") MiB after 10 passes, $(mib "$(median daemon.rss_end_kib)") MiB after $daemon_passes (peak $(mib "$(median daemon.hwm_kib)") MiB) | $(verdict "$(median daemon.rss_end_kib) <= $(median daemon.rss10_kib) * 1.1 && $(median daemon.hwm_kib) < 65536") |"
  echo "| packs stay bounded | $(median daemon.packs) pack(s) and $(awk '/^count:/ {print $2}' "$work/count-objects.daemon") loose objects after $(median daemon.commits) commits in $daemon_passes passes on top of the import | $(verdict "$(median daemon.packs) <= 33") |"
  echo
  echo "baseline.sh wrote byte-identical task directories (same git tree ids as tasksyncd's) for $(median baseline.identical) of $baseline_tasks tasks."
  echo
  echo "\`git count-objects -v\` after the import, after the last --once phase (last run), and after the daemon's $daemon_passes passes (first run):"
  echo
  echo '```'
  paste -d' ' "$work/count-objects.import" "$work/count-objects.end" "$work/count-objects.daemon" |
    awk '{printf "%-16s %-10s after the last phase: %-10s after the daemon: %s\n", $1, $2, $4, $6}'
  echo '```'
  echo
  echo "System calls of a no-change pass that could change a file (strace -ff, separate untimed run: opens for writing or with O_CREAT, which changes nothing when the file exists; renames, unlinks, mkdirs, truncates, writes at offsets, syncs):"
  echo
  echo '```'
  if [ -s "$work/strace.writes" ]; then head -n 20 "$work/strace.writes"; else echo "(none)"; fi
  echo '```'
  echo "<!-- bench N=$n end -->"
} >"$section"

cat "$section"
if $smoke; then
  say "smoke run: every phase ran; bench/RESULTS.md left alone"
  exit 0
fi

# This N's section replaces the old one in place; a new N goes at the end.
results=$root/bench/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n\nWritten by `bench/run.sh N RUNS`, one section per N.\n' >"$results"
if grep -qF "<!-- bench N=$n begin -->" "$results"; then
  awk -v begin="<!-- bench N=$n begin -->" -v end="<!-- bench N=$n end -->" -v file="$section" '
    $0 == begin { while ((getline line < file) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0; next }
    !skipping { print }' "$results" >"$work/results.md"
  cp "$work/results.md" "$results"
else
  { echo; cat "$section"; } >>"$results"
fi
say "wrote the N=$n section of $results"
