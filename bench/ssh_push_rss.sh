#!/usr/bin/env bash
# Memory of a daemon that pushes over ssh for months (issue 13): libgit2 1.5.1 parses
# $HOME/.ssh/known_hosts on every ssh connection and never frees it after a successful one
# (transports/ssh.c, _git_ssh_connect). On loopback, with everything made at run time:
#   - an OpenSSH server (sshd from openssh-server, in the foreground with its own config, on a high
#     port of 127.0.0.1), ed25519 host and client keys, and a user whose shell is git-shell, owning
#     a bare remote;
#   - the fake AnchorBrowser API (fake-anchor-api) serving one task whose version changes faster
#     than the daemon polls, so that every pass commits and pushes;
#   - tasksyncd as a daemon (poll.interval_seconds: 1), pushing to ssh://user@127.0.0.1:PORT/...,
#     with HOME holding a known_hosts of the server's key and KNOWN_HOSTS_PADDING other hosts (as
#     an operator's own known_hosts has).
# Prints tasksyncd's VmRSS at pass 10, every 100th pass and pass N, and the growth per push from
# pass 10 to pass N.
#
# usage: bench/ssh_push_rss.sh [N]     N passes (default 300); run as root (sshd, a user)
# Environment: BENCH_BUILD_DIR (default build: tasksyncd and fake-anchor-api are taken from it),
# KNOWN_HOSTS_PADDING (default 100), BENCH_KEEP=1 keeps the temp dir.
set -euo pipefail

usage() { sed -n 's/^# \{0,1\}//; 16,18p' "$0"; }
case ${1:-} in -h | --help) usage; exit 0 ;; esac
passes=${1:-300}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build}
padding=${KNOWN_HOSTS_PADDING:-100}
tasksyncd=$build/daemon/tasksyncd
fake_api=$build/tests/fake-anchor-api

[ "$(id -u)" = 0 ] || { echo "ssh_push_rss: run as root (it starts sshd and adds a user)" >&2; exit 2; }
for tool in /usr/sbin/sshd /usr/bin/git-shell ssh-keygen useradd git "$tasksyncd" "$fake_api"; do
  command -v "$tool" >/dev/null || {
    echo "ssh_push_rss: $tool is missing (apt-get install openssh-server git; build first)" >&2
    exit 2
  }
done
(( passes > 10 )) || { echo "ssh_push_rss: N must be more than 10" >&2; exit 2; }

dir=$(mktemp -d /tmp/tasksync-ssh-rss.XXXXXX)
chmod 755 "$dir" # the git user reaches the remote under it
user=tsbench$$
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  userdel "$user" 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# The server: host key, a git-shell user with a bare remote, sshd on a free high port.
ssh-keygen -q -t ed25519 -N '' -C host -f "$dir/host_key"
ssh-keygen -q -t ed25519 -N '' -C client -f "$dir/client_key"
useradd --no-create-home --home-dir "$dir/git-home" --shell /usr/bin/git-shell "$user"
usermod -p '*' "$user" # no password, but not locked: sshd without PAM refuses locked accounts
mkdir -p "$dir/git-home" "$dir/authorized_keys" /run/sshd
cp "$dir/client_key.pub" "$dir/authorized_keys/$user"
git init -q --bare -b main "$dir/remote.git"
chown -R "$user" "$dir/git-home" "$dir/remote.git"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys/%u
AllowUsers $user
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
LogLevel ERROR
EOF
/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$dir/sshd.log" &
pids+=($!)

# What the daemon trusts: the server's key among KNOWN_HOSTS_PADDING others.
mkdir -p "$dir/home/.ssh"
for i in $(seq 1 "$padding"); do
  ssh-keygen -q -t ed25519 -N '' -C '' -f "$dir/pad"
  echo "host$i.example.org $(cut -d' ' -f1,2 "$dir/pad.pub")" >>"$dir/home/.ssh/known_hosts"
  rm -f "$dir/pad" "$dir/pad.pub"
done
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")" >>"$dir/home/.ssh/known_hosts"

# The API: one task, a new version every 0.2 s.
task=3c90c3cc-0d44-4b50-8888-8dd25736052a
mkdir -p "$dir/tasks"
write_version() {
  local code
  code=$(printf '// version %s\n' "$1" | base64 -w0)
  printf '{"data":{"id":"00000000-0000-4000-8000-%012d","taskId":"%s","version":"%s","code":"%s","language":"typescript","deleted":false,"createdAt":"2026-10-01T08:00:00Z","updatedAt":"2026-11-20T14:31:07Z"}}' \
    "$1" "$task" "$1" "$code" >"$dir/tasks/.next"
  mv "$dir/tasks/.next" "$dir/tasks/$task.json"
}
write_version 1
"$fake_api" --tasks-dir "$dir/tasks" --api-key bench-key >"$dir/api.url" &
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/api.url" ] && break; sleep 0.1; done
(v=2; while sleep 0.2; do write_version $v; v=$((v + 1)); done) &
pids+=($!)

cat >"$dir/config.yaml" <<EOF
api: {base_url: '$(cat "$dir/api.url")', retries: 0}
poll: {interval_seconds: 1}
repo:
  path: $dir/mirror
  drafts: false
  push:
    remote: ssh://$user@127.0.0.1:$port$dir/remote.git
    ssh_key_file: $dir/client_key
tasks: [$task]
EOF
HOME=$dir/home ANCHORBROWSER_API_KEY=bench-key "$tasksyncd" --config "$dir/config.yaml" 2>"$dir/daemon.log" &
daemon=$!
pids+=("$daemon")

passes_done() { grep -c ' info: pass finished in ' "$dir/daemon.log" || true; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$daemon/status"; }
wait_for_pass() {
  while (($(passes_done) < $1)); do
    kill -0 "$daemon" 2>/dev/null || { echo "tasksyncd exited:" >&2; tail -20 "$dir/daemon.log" >&2; exit 1; }
    sleep 0.05
  done
}
wait_for_pass 10
rss10=$(rss_kib)
pushes10=$(grep -c ' info: pushed ' "$dir/daemon.log" || true)
checkpoints=()
for ((at = 100; at < passes; at += 100)); do
  wait_for_pass "$at"
  checkpoints+=("pass $at: $(rss_kib) KiB")
done
wait_for_pass "$passes"
rssn=$(rss_kib)
pushesn=$(grep -c ' info: pushed ' "$dir/daemon.log" || true)
failures=$(grep -c ' error: ' "$dir/daemon.log" || true)

remote_commits=$(git --git-dir="$dir/remote.git" rev-list --count main 2>/dev/null || echo 0)
pushes=$((pushesn - pushes10))
echo "known_hosts: $((padding + 1)) entries; passes: $passes; pushes between pass 10 and $passes: $pushes; remote commits: $remote_commits; error lines: $failures"
echo "VmRSS at pass 10: $rss10 KiB"
for checkpoint in "${checkpoints[@]}"; do echo "VmRSS at $checkpoint"; done
echo "VmRSS at pass $passes: $rssn KiB"
if ((pushes > 0)); then
  echo "growth: $((rssn - rss10)) KiB, $(((rssn - rss10) * 1024 / pushes)) bytes per push"
fi
