#!/usr/bin/env bash
# The benchmark of issue 6 in one command. On one fake API (bench-api) serving N generated tasks,
# side by side:
#   - tasksyncd --once: initial import, a no-change pass, a pass after 1% of the tasks changed,
#     a pass after one task changed, one after a task skipped 3 versions (issue 21: the gap is
#     filled from the task's history), and a draft-reading pass with nothing changed (issue 22:
#     repo.drafts on, every task's draft read, 1% of them pending and made branches drafts/<id>);
#   - bench/baseline.sh, the curl | jq | base64 + git cron script, for the initial import;
#   - wrk with tasksyncd's concurrency, as the HTTP ceiling of the fake API.
# Each run starts from fresh temp dirs and a fresh fake API. Prints a table of medians and
# ratios, with the API requests of each phase, and puts it in bench/RESULTS.md as the section for
# this N (replacing an older section for the same N, keeping the others), with the machine.
# --latency (issue 12) runs every phase over TLS once per round-trip time: at RTT 0 straight to
# bench-api, else through bench-delay-proxy; the table adds the floor requests x RTT / concurrency.
#
# usage: bench/run.sh [N] [RUNS] [--smoke] [--latency]
#   N      tasks (default 1000)
#   RUNS   runs per phase; the table shows medians (default 3)
#   --smoke    CI: every phase, quickly; fails only if a phase fails; RESULTS.md is left alone.
#              Without --latency it then runs the latency mode too, at BENCH_SMOKE_LATENCY_TASKS.
#   --latency  every phase over HTTPS at each RTT of BENCH_RTTS_MS, into its own RESULTS.md section
# Environment: BENCH_WRK_SECONDS (default 10, smoke 2), BENCH_BASELINE_TASKS (default 1000: the
# baseline runs on at most that many tasks and is extrapolated linearly beyond, as labelled),
# BENCH_RTTS_MS (default "0 30"), BENCH_DAEMON_PASSES (default 100, smoke 12),
# BENCH_SMOKE_LATENCY_TASKS (default 20), BENCH_KEEP=1 keeps the temp dirs.
set -euo pipefail

usage() { sed -n 's/^# \{0,1\}//; 14,26p' "$0"; }
root=$(cd "$(dirname "$0")/.." && pwd)
smoke=false
latency=false
positional=()
for arg in "$@"; do
  case $arg in
  --smoke) smoke=true ;;
  --latency) latency=true ;;
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
daemon_passes=${BENCH_DAEMON_PASSES:-$($smoke && echo 12 || echo 100)}
# The daemon's memory after 10 passes is the reference its end is compared with.
[[ $daemon_passes =~ ^[1-9][0-9]+$ ]] || { echo "bench: BENCH_DAEMON_PASSES must be 10 or more" >&2; exit 2; }
concurrency=${BENCH_CONCURRENCY:-8}   # tasksyncd's poll.concurrency (default 8); wrk gets as many connections
wrk_threads=2   # one per core of the 2-core target machine; wrk needs connections >= threads
key=bench-key
# A wire is how tasksyncd, the baseline and wrk reach bench-api: plain HTTP on loopback, or in
# the latency mode HTTPS at one round-trip time ("rtt30": 30 ms through the proxy).
if $latency; then
  wires=()
  for rtt in ${BENCH_RTTS_MS:-0 30}; do
    [[ $rtt =~ ^(0|[1-9][0-9]*)$ ]] || { echo "bench: BENCH_RTTS_MS: \"$rtt\" is not a whole number of ms" >&2; exit 2; }
    wires+=("rtt$rtt")
  done
  [ ${#wires[@]} -gt 0 ] || { echo "bench: BENCH_RTTS_MS is empty" >&2; exit 2; }
else
  wires=(http)
fi
rtt_of() { [ "$1" = http ] && echo 0 || echo "${1#rtt}"; }

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

# BENCH_BUILD_DIR: an already configured build to use as it is (tools/test's smoke run reuses the
# test build, whose numbers do not count); else a Release build of its own in build-bench/.
build=${BENCH_BUILD_DIR:-$root/build-bench}
if [ -z "${BENCH_BUILD_DIR:-}" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTASKSYNC_TESTS=ON >/dev/null
fi
cmake --build "$build" --target tasksyncd bench-api bench-io bench-delay-proxy >&2
# How it was built, for the results: BENCH_BUILD_DIR may be another build type than Release.
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
if [ "$build_type" = Release ]; then
  build_kind="Release build"
else
  optimisation=$(sed -n 's/^CMAKE_CXX_FLAGS:[A-Z]*=//p' "$build/CMakeCache.txt" | grep -oE -- '-O[0-9sg]?' | tail -n1 || true)
  build_kind="CMAKE_BUILD_TYPE=${build_type:-(empty)} build${optimisation:+ ($optimisation)}"
fi
# What was built: others commit to the measured code while a long run goes on.
measured="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" status --porcelain -- sync daemon CMakeLists.txt |
  awk '{print $2}' | paste -sd, | sed 's/,/, /g; s/^./ with uncommitted changes to &/')"
tasksyncd=$build/daemon/tasksyncd
bench_io=$build/bench/bench-io
export ANCHORBROWSER_API_KEY=$key

# --- helpers -----------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/tasksync-bench.XXXXXX")
values=$work/values.tsv # one "WIRE.metric<TAB>value" line per measurement
api_pid=""
proxy_pid=""
cleanup() {
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
  if [ "${BENCH_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

put() { printf '%s.%s\t%s\n' "$wire" "$1" "$2" >>"$values"; }

# Starts bench-api (HTTPS with a fresh CA in $dir/pki in the latency mode) and, at an RTT above 0,
# the delay proxy in front of it; sets base_url to what the clients use.
start_api() {
  local tls=()
  $latency && tls=(--tls-dir "$dir/pki")
  "$build/bench/bench-api" --tasks "$n" --api-key "$key" --ids-file "$dir/ids.txt" "${tls[@]}" >"$dir/api.out" 2>"$dir/api.err" &
  api_pid=$!
  for _ in $(seq 1200); do [ -s "$dir/api.out" ] && break; sleep 0.05; done
  base_url=$(head -n1 "$dir/api.out")
  [[ $base_url == http*://* ]] || die "bench-api did not start: $(cat "$dir/api.err")"
  [ "$rtt" -gt 0 ] || return 0
  "$build/bench/bench-delay-proxy" --target-port "${base_url##*:}" --rtt-ms "$rtt" >"$dir/proxy.out" 2>"$dir/proxy.err" &
  proxy_pid=$!
  for _ in $(seq 200); do [ -s "$dir/proxy.out" ] && break; sleep 0.05; done
  local port
  port=$(head -n1 "$dir/proxy.out")
  [[ $port =~ ^[0-9]+$ ]] || die "bench-delay-proxy did not start: $(cat "$dir/proxy.err")"
  base_url=${base_url%:*}:$port
}

stop_api() {
  if [ -n "$proxy_pid" ]; then
    kill "$proxy_pid"
    wait "$proxy_pid" || true
    proxy_pid=""
  fi
  kill "$api_pid"
  wait "$api_pid" || true
  api_pid=""
}

# counters FILE PID WORD: sends SIGHUP to PID (bench-api or the proxy), which answers with a
# "WORD N key=N ..." line in FILE, and prints that line's numbers.
counters() {
  local before
  before=$(grep -c "^$3 " "$1" || true)
  kill -HUP "$2"
  for _ in $(seq 1000); do
    if [ "$(grep -c "^$3 " "$1" || true)" -gt "$before" ]; then
      grep "^$3 " "$1" | tail -n1 | sed "s/^$3 //; s/[a-z]*=//g"
      return 0
    fi
    sleep 0.01
  done
  die "no $3 counters from $1"
}

# count_begin / count_end NAME: the API requests made between the two (by kind), and with the
# proxy the connections opened, as NAME.requests, NAME.req_list, ..., NAME.connections.
# (A plain assignment, unlike `local x=$(...)` or `x=($(...))`, lets set -e see a failure.)
count_begin() {
  local line
  line=$(counters "$dir/api.out" "$api_pid" requests)
  read -ra requests_before <<<"$line"
  [ -n "$proxy_pid" ] || return 0
  line=$(counters "$dir/proxy.out" "$proxy_pid" connections)
  read -ra connections_before <<<"$line"
}
count_end() {
  local line after i kinds=(requests req_list req_latest req_task req_other req_history req_draft)
  line=$(counters "$dir/api.out" "$api_pid" requests)
  read -ra after <<<"$line"
  for i in "${!kinds[@]}"; do put "$1.${kinds[$i]}" $((after[i] - requests_before[i])); done
  [ -n "$proxy_pid" ] || return 0
  line=$(counters "$dir/proxy.out" "$proxy_pid" connections)
  read -ra after <<<"$line"
  put "$1.connections" $((after[0] - connections_before[0]))
}

# change SIGNAL: has bench-api change tasks (USR1: 1%, USR2: one; ALRM: one, skipping 3
# versions), and waits until it has.
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
  count_begin
  if ! /usr/bin/time -v -o "$dir/$name.time" "$bench_io" "$dir/$name.io" "$@" 2>&1 >/dev/null | cat >"$dir/$name.log"; then
    tail -n 20 "$dir/$name.log" >&2
    die "$name failed (run $run, $wire); log above"
  fi
  count_end "$name"
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

# tasksyncd --once with CONFIG (default config.yaml), measured as NAME; checks the pass made
# exactly EXPECTED commits on the branch.
sync_pass() {
  local name=$1 expected=$2 config=${3:-$dir/config.yaml} before_commits before_objects
  before_commits=$(commits)
  before_objects=$(objects)
  measure "$name" "$tasksyncd" --config "$config" --once
  local made=$(($(commits) - before_commits))
  [ "$made" -eq "$expected" ] || die "$name made $made commits, expected $expected (run $run, $wire)"
  [ -z "$(git -C "$dir/mirror" status --porcelain)" ] || die "$name left the work tree dirty (run $run, $wire)"
  put "$name.objects" $(($(objects) - before_objects))
}

# The daemon itself (not --once) for CYCLES passes, one task changed before each: its memory
# after 10 passes and at the end (a leak would grow it), and the packs and loose objects left.
daemon_cycles() {
  local cycles=$1 log=$dir/daemon.log pid done_passes=0
  sed 's/^poll:$/poll:\n  interval_seconds: 1/' "$dir/config.yaml" >"$dir/daemon.yaml"
  count_begin
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
  count_end daemon
  put daemon.commits "$(grep -c ', commit ' "$log" || true)"
  put daemon.packs "$(find "$dir/mirror/.git/objects/pack" -name '*.pack' | wc -l)"
  git -C "$dir/mirror" count-objects -v >"$work/$wire.count-objects.daemon"
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
say "N=$n, $runs run(s), wire(s) ${wires[*]}, wrk ${wrk_seconds}s, baseline on $baseline_tasks task(s), work dir $work"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq "$runs"); do
  for wire in "${wires[@]}"; do
    rtt=$(rtt_of "$wire")
    dir=$work/run$run/$wire
    at="run $run/$runs"
    if $latency; then at+=", RTT $rtt ms"; fi
    mkdir -p "$dir"
    start_api
    ca_line=""
    curl_ca=()
    if $latency; then
      ca_line="  ca_file: $dir/pki/ca.pem"$'\n'
      curl_ca=(env "CURL_CA_BUNDLE=$dir/pki/ca.pem")
    fi
    # repo.drafts: false: every --once pass is a run's first, which reads each task's draft (one
    # request per task, issue 22); the passes measured here are the ones that read none.
    { printf 'api:\n  base_url: %s\n%spoll:\n  concurrency: %d\nrepo:\n  path: mirror\n  drafts: false\ntasks:\n' "$base_url" "$ca_line" "$concurrency"
      sed 's/^/  - /' "$dir/ids.txt"; } >"$dir/config.yaml"

    say "$at: tasksyncd import"
    sync_pass import "$n"
    git -C "$dir/mirror" count-objects -v >"$work/$wire.count-objects.import"
    say "$at: tasksyncd no-change pass"
    sync_pass no_change 0
    [ "$run" -gt 1 ] || [ "$wire" != "${wires[0]}" ] || trace_no_change

    say "$at: wrk -t$wrk_threads -c$concurrency -d${wrk_seconds}s"
    count_begin
    wrk -t"$wrk_threads" -c"$concurrency" -d"${wrk_seconds}s" -s "$root/bench/latest.lua" "$base_url" \
      -- "$dir/ids.txt" "$key" >"$dir/wrk.out"
    count_end wrk
    ! grep -qE 'Non-2xx|Socket errors' "$dir/wrk.out" || die "wrk got errors: $(cat "$dir/wrk.out")"
    put wrk.rps "$(awk '/^Requests\/sec:/ {print $2}' "$dir/wrk.out")"

    say "$at: baseline.sh on $baseline_tasks tasks"
    head -n "$baseline_tasks" "$dir/ids.txt" >"$dir/baseline-ids.txt"
    measure baseline "${curl_ca[@]}" bash "$root/bench/baseline.sh" "$base_url" "$dir/baseline-ids.txt" "$dir/baseline"
    # Same work as tasksyncd's, to the byte: the baseline's task directories are tasksyncd's trees.
    git -C "$dir/baseline" ls-tree HEAD tasks/ >"$dir/baseline.trees"
    git -C "$dir/mirror" ls-tree HEAD tasks/ | grep -Ff "$dir/baseline.trees" >"$dir/same.trees" || true
    put baseline.identical "$(wc -l <"$dir/same.trees")"

    say "$at: tasksyncd after 1% changed"
    change USR1
    sync_pass one_percent "$(grep '^changed' "$dir/api.out" | tail -n1 | cut -d' ' -f2)"
    say "$at: tasksyncd after one task changed"
    change USR2
    sync_pass one_task 1
    say "$at: tasksyncd after one task skipped 3 versions"
    change ALRM
    sync_pass gap 4 # the 3 versions skipped, then the latest
    say "$at: tasksyncd draft-reading pass (repo.drafts: true), nothing changed"
    # The same mirror and config with drafts on: a --once is a run's first pass, which reads
    # every task's draft. bench-api has one for every hundredth task (ids.txt lines 1, 101, ...).
    grep -vx '  drafts: false' "$dir/config.yaml" >"$dir/drafts.yaml"
    sync_pass drafts 0 "$dir/drafts.yaml"
    sed -n '1~100p' "$dir/ids.txt" | sort >"$dir/drafts.expected"
    git -C "$dir/mirror" for-each-ref --format='%(refname:strip=3)' refs/heads/drafts/ | sort >"$dir/drafts.made"
    put drafts.branches "$(wc -l <"$dir/drafts.made")"
    cmp -s "$dir/drafts.expected" "$dir/drafts.made" ||
      die "draft branches: expected drafts/<id> for $(wc -l <"$dir/drafts.expected") task(s), got $(wc -l <"$dir/drafts.made"): $(diff "$dir/drafts.expected" "$dir/drafts.made" | head -n 5 | paste -sd' ') (run $run, $wire)"
    while read -r id; do
      [ "$(git -C "$dir/mirror" rev-parse "refs/heads/drafts/$id^")" = "$(git -C "$dir/mirror" rev-parse HEAD)" ] ||
        die "drafts/$id is not one commit on the branch tip (run $run, $wire)"
    done <"$dir/drafts.made"
    git -C "$dir/mirror" count-objects -v >"$work/$wire.count-objects.end"
    if [ "$run" -eq 1 ]; then
      say "$at: the daemon for $daemon_passes passes, one task changed before each"
      daemon_cycles "$daemon_passes"
    fi
    stop_api
  done
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
pages=$(((n + 99) / 100)) # list pages of 100 that hold every task
drafts_expected=$(((n + 99) / 100)) # bench-api's tasks with a draft: every hundredth, from the first
scale=$(calc %.6f "$n / $baseline_tasks")
objects_per_commit() { calc %.1f "$(median "$1.one_percent.objects") / $changed_1pct"; }
baseline_wall() { calc %.3f "$(median "$1.baseline.wall") * $scale"; }
import_ratio() { calc %.1f "$(baseline_wall "$1") / $(median "$1.import.wall")"; }
if [ "$baseline_tasks" -eq "$n" ]; then
  baseline_label="baseline.sh, initial import"
else
  baseline_label="baseline.sh, initial import: **run on $baseline_tasks of $n tasks, time and requests ×$(calc %g "$scale") (linear extrapolation)**"
fi

# requests WIRE PHASE [FACTOR]: the phase's API requests, by kind ("2000: 1000 latest, 1000 task").
requests() {
  local kind value parts=()
  for kind in list latest task history draft other; do
    value=$(calc %.0f "$(median "$1.$2.req_$kind") * ${3:-1}")
    [ "$value" -eq 0 ] || parts+=("$value $kind")
  done
  [ ${#parts[@]} -ne 1 ] || { echo "${parts[0]}"; return; }
  local joined
  joined=$(printf '%s, ' "${parts[@]}")
  echo "$(calc %.0f "$(median "$1.$2.requests") * ${3:-1}"): ${joined%, }"
}
# floor WIRE PHASE CONCURRENCY [FACTOR]: the time the phase's requests need on the wire, in s.
floor() { calc %.3f "$(median "$1.$2.requests") * ${4:-1} * $(rtt_of "$1") / 1000 / $3"; }

# row LABEL WIRE PHASE TASKS OBJECTS CONCURRENCY: one phase on one wire. In the latency mode with
# the RTT, the connections opened (through the proxy only), the floor and wall / floor.
row() {
  local w=$2 p=$3 wall
  wall=$(median "$w.$p.wall")
  [ "$p" != baseline ] || wall=$(baseline_wall "$w")
  local factor=1
  [ "$p" != baseline ] || factor=$scale
  local spread_text=""
  [ "$p" = baseline ] && [ "$baseline_tasks" -ne "$n" ] || spread_text=$(spread "$w.$p.wall")
  printf '| %s |' "$1"
  ! $latency || printf ' %s |' "$(rtt_of "$w")"
  printf ' %.2f%s | %.0f | %s |' "$wall" "$spread_text" "$(calc %f "$4 / $wall")" "$(requests "$w" "$p" "$factor")"
  if $latency; then
    local rtt floor_s
    rtt=$(rtt_of "$w")
    floor_s=$(floor "$w" "$p" "$6" "$factor")
    if [ "$rtt" -eq 0 ]; then
      printf ' – | 0 | – |'
    else
      printf ' %.0f | %.2f | %.2f× |' "$(calc %f "$(median "$w.$p.connections") * $factor")" "$floor_s" "$(calc %f "$wall / $floor_s")"
    fi
  fi
  local rss=–
  [ "$p" = baseline ] || rss=$(mib "$(high "$w.$p.rss_kib")")
  printf ' %.2f | %s | %s | %s |\n' "$(median "$w.$p.cpu")" "$rss" "$(bytes "$(high "$w.$p.write_bytes")")" "$5"
}

# wrk_row WIRE: wrk's request rate; in the latency mode also against the wire's ceiling.
wrk_row() {
  local w=$1
  printf '| wrk -t%d -c%d -d%ds, GET /v1/task/{id}/latest |' "$wrk_threads" "$concurrency" "$wrk_seconds"
  if $latency; then
    printf ' %s | %d (-d) | %.0f req/s%s | %s |' "$(rtt_of "$w")" "$wrk_seconds" "$(median "$w.wrk.rps")" "$(spread "$w.wrk.rps")" \
      "$(requests "$w" wrk)"
    if [ "$(rtt_of "$w")" -eq 0 ]; then
      printf ' – | 0 | – |'
    else
      local floor_s
      floor_s=$(floor "$w" wrk "$concurrency")
      printf ' %.0f | %.2f | %.2f× |' "$(median "$w.wrk.connections")" "$floor_s" "$(calc %f "$wrk_seconds / $floor_s")"
    fi
  else
    printf ' – | %.0f req/s%s | %s |' "$(median "$w.wrk.rps")" "$(spread "$w.wrk.rps")" "$(requests "$w" wrk)"
  fi
  printf ' – | – | – | – |\n'
}

# Worst over the wires and the --once phases.
peak_rss=0
no_change_written=0
for w in "${wires[@]}"; do
  for phase in import no_change one_percent one_task gap drafts; do
    rss=$(high "$w.$phase.rss_kib")
    [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
  done
  written=$(high "$w.no_change.write_bytes")
  [ "$written" -gt "$no_change_written" ] && no_change_written=$written
done
strace_calls=$(wc -l <"$work/strace.writes")

# table_head ISSUE: the head of a table of an issue's targets.
table_head() {
  echo "| target (issue $1) | measured | |"
  echo "|---|---|---|"
}
# at_rtt WIRE: " (RTT N ms)" after a target in the latency mode, where one row stands per wire.
at_rtt() { if $latency; then echo " (RTT $(rtt_of "$1") ms)"; fi; }

# Targets that hold on every wire: issue 6's, kept by issue 12.
common_targets() {
  local w=$1 at=$2
  echo "| a changed task writes a constant number of objects$at | $(median "$w.one_task.objects") for 1 commit; $(objects_per_commit "$w") per commit over $changed_1pct | $(verdict "$(median "$w.one_task.objects") == $(objects_per_commit "$w")") |"
  echo "| daemon memory flat over $daemon_passes passes (one commit each)$at | RSS $(mib "$(median "$w.daemon.rss10_kib")") MiB after 10 passes, $(mib "$(median "$w.daemon.rss_end_kib")") MiB after $daemon_passes (peak $(mib "$(median "$w.daemon.hwm_kib")") MiB); $(calc %.1f "$(median "$w.daemon.requests") / $daemon_passes") requests per pass | $(verdict "$(median "$w.daemon.rss_end_kib") <= $(median "$w.daemon.rss10_kib") * 1.1 && $(median "$w.daemon.hwm_kib") < 65536") |"
  echo "| packs stay bounded$at | $(median "$w.daemon.packs") pack(s) and $(awk '/^count:/ {print $2}' "$work/$w.count-objects.daemon") loose objects after $(median "$w.daemon.commits") commits in $daemon_passes passes on top of the import | $(verdict "$(median "$w.daemon.packs") <= 33") |"
}

# Issue 6's targets, on plain HTTP.
targets_plain() {
  local w=http no_change_wall no_change_rps rate_ratio
  no_change_wall=$(median "$w.no_change.wall")
  no_change_rps=$(calc %.0f "$n / $no_change_wall")
  rate_ratio=$(calc %.2f "$no_change_rps / $(median "$w.wrk.rps")")
  local pct_ratio one_ratio
  pct_ratio=$(calc %.2f "$(median "$w.one_percent.wall") / $no_change_wall")
  one_ratio=$(calc %.2f "$(median "$w.one_task.wall") / $no_change_wall")
  table_head 6
  echo "| import ≥ 50× faster than baseline.sh | $(import_ratio "$w")× (baseline $(calc %.1f "$(baseline_wall "$w")") s / tasksyncd $(calc %.2f "$(median "$w.import.wall")") s) | $(verdict "$(import_ratio "$w") >= 50") |"
  echo "| no-change pass ≥ 50% of wrk's request rate | $(calc %.0f "$rate_ratio * 100")% ($no_change_rps of $(calc %.0f "$(median "$w.wrk.rps")") req/s) | $(verdict "$rate_ratio >= 0.5") |"
  echo "| no-change pass writes nothing to disk | write_bytes $no_change_written; $strace_calls system call(s) that could change a file (strace, below) | $(verdict "$no_change_written == 0") |"
  echo "| 1%-changed pass ≤ 1.2× a no-change pass (target at N = 10,000) | $pct_ratio× | $(verdict "$pct_ratio <= 1.2") |"
  echo "| one-changed-task pass ≤ 1.2× a no-change pass (target at N = 10,000) | $one_ratio× | $(verdict "$one_ratio <= 1.2") |"
  echo "| peak RSS < 64 MiB (target at N = 10,000) | $(mib "$peak_rss") MiB | $(verdict "$peak_rss < 65536") |"
  common_targets "$w" ""
}

# Issue 12's targets: request counts and floors on the slowest wire, the import against the
# baseline there and on loopback over TLS, and issue 6's that must stay met.
targets_latency() {
  local w slow="" loopback=""
  for w in "${wires[@]}"; do
    [ "$(rtt_of "$w")" -ne 0 ] || loopback=$w
    if [ "$(rtt_of "$w")" -gt 0 ] && { [ -z "$slow" ] || [ "$(rtt_of "$w")" -gt "$(rtt_of "$slow")" ]; }; then slow=$w; fi
  done
  table_head 12
  local any=${slow:-$loopback}
  local nc pct
  nc=$(median "$any.no_change.requests")
  pct=$(median "$any.one_percent.requests")
  echo "| no-change pass: ≤ ceil(N/100) + 1 = $((pages + 1)) requests | $(requests "$any" no_change) | $(verdict "$nc <= $pages + 1") |"
  echo "| 1% changed: ≤ ceil(N/100) + $changed_1pct + 1 = $((pages + changed_1pct + 1)) requests | $(requests "$any" one_percent) | $(verdict "$pct <= $pages + $changed_1pct + 1") |"
  if [ -n "$slow" ]; then
    local rtt wall floor_s cpu limit
    rtt=$(rtt_of "$slow")
    wall=$(median "$slow.no_change.wall")
    floor_s=$(floor "$slow" no_change "$concurrency")
    cpu=$(median "$slow.no_change.cpu")
    limit=$(calc %.3f "1.5 * $floor_s + $cpu")
    echo "| no-change pass at RTT $rtt ms ≤ 1.5 × floor + its CPU time | $(calc %.2f "$wall") s; 1.5 × $(calc %.2f "$floor_s") s + $(calc %.2f "$cpu") s CPU = $(calc %.2f "$limit") s | $(verdict "$wall <= $limit") |"
    wall=$(median "$slow.import.wall")
    floor_s=$(calc %.3f "$n * $rtt / 1000 / $concurrency")
    echo "| import at RTT $rtt ms ≤ 1.5 × N × RTT / concurrency | $(calc %.2f "$wall") s; 1.5 × $(calc %.2f "$floor_s") s = $(calc %.2f "1.5 * $floor_s") s | $(verdict "$wall <= 1.5 * $floor_s") |"
    echo "| import at RTT $rtt ms ≥ 20× faster than baseline.sh | $(import_ratio "$slow")× (baseline $(calc %.1f "$(baseline_wall "$slow")") s / tasksyncd $(calc %.2f "$wall") s) | $(verdict "$(import_ratio "$slow") >= 20") |"
  fi
  if [ -n "$loopback" ]; then
    echo "| import on loopback over TLS ≥ 50× faster than baseline.sh | $(import_ratio "$loopback")× (baseline $(calc %.1f "$(baseline_wall "$loopback")") s / tasksyncd $(calc %.2f "$(median "$loopback.import.wall")") s) | $(verdict "$(import_ratio "$loopback") >= 50") |"
  fi
  echo "| no-change pass writes nothing to disk (every RTT) | write_bytes $no_change_written at most; $strace_calls system call(s) that could change a file (strace, below) | $(verdict "$no_change_written == 0") |"
  echo "| peak RSS < 64 MiB (target at N = 10,000; every RTT) | $(mib "$peak_rss") MiB | $(verdict "$peak_rss < 65536") |"
  for w in "${wires[@]}"; do common_targets "$w" "$(at_rtt "$w")"; done
}

# wire_targets ISSUE ROWS: the table of an issue's targets that hold on every wire, the rows of
# each from `ROWS WIRE AT`.
wire_targets() {
  local w
  table_head "$1"
  for w in "${wires[@]}"; do "$2" "$w" "$(at_rtt "$w")"; done
}

# Issue 21's targets: a move by one version reads no history; a gap of 3 costs /versions and the
# 3 versions on top of a one-task pass.
history_rows() {
  local w=$1 at=$2 pct
  pct=$(median "$w.one_percent.requests")
  echo "| every task moved by one version: 1% changed ≤ ceil(N/100) + $changed_1pct + 1 = $((pages + changed_1pct + 1)) requests, none of the history$at | $(requests "$w" one_percent); 1 task changed: $(requests "$w" one_task) | $(verdict "$pct <= $pages + $changed_1pct + 1 && $(median "$w.one_percent.req_history") == 0 && $(median "$w.one_task.req_history") == 0") |"
  echo "| one task skipped 3 versions: requests = one-task pass + 1 + 3 = $(calc %.0f "$(median "$w.one_task.requests") + 4")$at | $(requests "$w" gap) | $(verdict "$(median "$w.gap.requests") == $(median "$w.one_task.requests") + 4") |"
}

# Issue 22's targets: a pass that reads no draft costs what it did; one that reads them costs one
# request per task more, and makes the pending drafts branches.
drafts_rows() {
  local w=$1 at=$2 nc
  nc=$(median "$w.no_change.requests")
  echo "| no-change pass, drafts off: requests = ceil(N/100) = $pages (as today)$at | $(requests "$w" no_change) | $(verdict "$nc == $pages && $(median "$w.no_change.req_list") == $pages") |"
  echo "| draft-reading pass: requests = no-change + N = $(calc %.0f "$nc + $n")$at | $(requests "$w" drafts) | $(verdict "$(median "$w.drafts.requests") == $nc + $n && $(median "$w.drafts.req_draft") == $n") |"
  echo "| 1% of the tasks got a branch drafts/<id>, one commit on the branch tip$at | $(median "$w.drafts.branches") of $n tasks ($drafts_expected expected), $(median "$w.drafts.objects") objects added | $(verdict "$(median "$w.drafts.branches") == $drafts_expected") |"
}

section=$work/section.md
if $latency; then
  marker="bench N=$n latency"
  command_line="bench/run.sh $n $runs --latency$([ -z "${BENCH_RTTS_MS:-}" ] || echo " (BENCH_RTTS_MS=\"$BENCH_RTTS_MS\")")"
else
  marker="bench N=$n"
  command_line="bench/run.sh $n $runs"
fi
{
  echo "<!-- $marker begin -->"
  if $latency; then
    echo "## N = $n tasks, over TLS at RTT $(for w in "${wires[@]}"; do rtt_of "$w"; done | paste -sd, | sed 's/,/, /g') ms"
  else
    echo "## N = $n tasks"
  fi
  echo
  echo "\`$command_line\`, $(date -u '+%Y-%m-%d %H:%M UTC'), tasksync $measured (as built at the start), $build_kind."
  echo "Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME"); load average $load_before before, $load_after after (other jobs shared the CPU)."
  echo
  echo "Medians of $runs run(s)$([ "$runs" -gt 1 ] && echo ', [min–max] after the wall time'). Wall time is the whole process (start to exit). RSS is the peak of the worst run (/usr/bin/time -v \"Maximum resident set size\"); written = write_bytes from /proc (bytes the process dirtied for the disk, 4 KiB pages), worst run. API requests: as counted by bench-api (list = GET /v1/task pages, latest = GET /v1/task/{id}/latest, task = GET /v1/task/{id}, history = GET /v1/task/{id}/versions and GET /v1/task/{id}/{version}, draft = GET /v1/task/{id}/draft)."
  if $latency; then
    echo "Over HTTPS (a CA made per run, trusted through \`api.ca_file\` and \`CURL_CA_BUNDLE\`); at an RTT above 0 through bench-delay-proxy, which delays a new connection by one RTT and every chunk by RTT/2 each way. Connections: opened through the proxy. Floor: requests × RTT / concurrency (tasksyncd and wrk $concurrency, baseline.sh 1), the least time the wire allows; handshakes (one RTT for TCP, one for TLS per connection) are not in it."
  fi
  echo
  if $latency; then
    echo "| phase | RTT ms | wall s | tasks/s | API requests | connections | floor s | wall / floor | CPU s (user+sys) | peak RSS MiB | written | objects added |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  else
    echo "| phase | wall s | tasks/s | API requests | CPU s (user+sys) | peak RSS MiB | written | objects added |"
    echo "|---|---|---|---|---|---|---|---|"
  fi
  for w in "${wires[@]}"; do row "tasksyncd --once, initial import" "$w" import "$n" "$(median "$w.import.objects")" "$concurrency"; done
  for w in "${wires[@]}"; do row "tasksyncd --once, no change" "$w" no_change "$n" "$(median "$w.no_change.objects")" "$concurrency"; done
  for w in "${wires[@]}"; do row "tasksyncd --once, 1% changed ($changed_1pct tasks)" "$w" one_percent "$n" "$(median "$w.one_percent.objects") ($(objects_per_commit "$w") per commit)" "$concurrency"; done
  for w in "${wires[@]}"; do row "tasksyncd --once, 1 task changed" "$w" one_task "$n" "$(median "$w.one_task.objects")" "$concurrency"; done
  for w in "${wires[@]}"; do row "tasksyncd --once, 1 task skipped 3 versions (4 commits)" "$w" gap "$n" "$(median "$w.gap.objects")" "$concurrency"; done
  for w in "${wires[@]}"; do row "tasksyncd --once, no change, drafts on: every draft read ($drafts_expected pending)" "$w" drafts "$n" "$(median "$w.drafts.objects") ($(median "$w.drafts.branches") drafts/ branches)" "$concurrency"; done
  for w in "${wires[@]}"; do row "$baseline_label" "$w" baseline "$n" – 1; done
  for w in "${wires[@]}"; do wrk_row "$w"; done
  echo
  if $latency; then targets_latency; else targets_plain; fi
  echo
  wire_targets 21 history_rows
  echo
  wire_targets 22 drafts_rows
  echo
  for w in "${wires[@]}"; do
    echo "baseline.sh wrote byte-identical task directories (same git tree ids as tasksyncd's) for $(median "$w.baseline.identical") of $baseline_tasks tasks$($latency && echo " at RTT $(rtt_of "$w") ms")."
  done
  echo
  echo "\`git count-objects -v\` after the import, after the last --once phase (last run), and after the daemon's $daemon_passes passes (first run):"
  for w in "${wires[@]}"; do
    echo
    ! $latency || { echo "At RTT $(rtt_of "$w") ms:"; echo; }
    echo '```'
    paste -d' ' "$work/$w.count-objects.import" "$work/$w.count-objects.end" "$work/$w.count-objects.daemon" |
      awk '{printf "%-16s %-10s after the last phase: %-10s after the daemon: %s\n", $1, $2, $4, $6}'
    echo '```'
  done
  echo
  echo "System calls of a no-change pass that could change a file (strace -ff, separate untimed run$($latency && echo " at RTT $(rtt_of "${wires[0]}") ms"): opens for writing or with O_CREAT, which changes nothing when the file exists; renames, unlinks, mkdirs, truncates, writes at offsets, syncs):"
  echo
  echo '```'
  if [ -s "$work/strace.writes" ]; then head -n 20 "$work/strace.writes"; else echo "(none)"; fi
  echo '```'
  echo "<!-- $marker end -->"
} >"$section"

cat "$section"
if $smoke; then
  say "smoke run: every phase ran$($latency && echo " on every wire"); bench/RESULTS.md left alone"
  $latency && exit 0
  # The latency path too, at a tiny N: TLS, the proxy, the floors. The same build is reused.
  say "smoke run: the latency mode at N=${BENCH_SMOKE_LATENCY_TASKS:-20}"
  "$root/bench/run.sh" "${BENCH_SMOKE_LATENCY_TASKS:-20}" 1 --smoke --latency
  exit
fi

# This N's section replaces the old one in place; a new N goes at the end.
results=$root/bench/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n\nWritten by `bench/run.sh N RUNS`, one section per N.\n' >"$results"
if grep -qF "<!-- $marker begin -->" "$results"; then
  awk -v begin="<!-- $marker begin -->" -v end="<!-- $marker end -->" -v file="$section" '
    $0 == begin { while ((getline line < file) > 0) print line; skipping = 1; next }
    $0 == end { skipping = 0; next }
    !skipping { print }' "$results" >"$work/results.md"
  cp "$work/results.md" "$results"
else
  { echo; cat "$section"; } >>"$results"
fi
say "wrote the \"$marker\" section of $results"
