#!/usr/bin/env bash
# The shell baseline tasksyncd is measured against: what a user would write as a cron job.
# Per task: curl | jq | base64 -d into tasks/<id>/task.ts, a jq-built task.json (keys sorted,
# proxy password redacted, as tasksyncd writes it), git add, git commit. Sequential, like a cron
# script; one commit per task, like tasksyncd.
#
# usage: bench/baseline.sh BASE_URL IDS_FILE REPO_DIR   (the key in ANCHORBROWSER_API_KEY)
set -euo pipefail

base_url=$1
ids_file=$(realpath "$2") # before the cd below
repo=$3

mkdir -p "$repo"
cd "$repo"
[ -d .git ] || git init -q -b main
git config user.name tasksync
git config user.email tasksync@localhost

body=$(mktemp)
trap 'rm -f "$body"' EXIT

while read -r id; do
  dir=tasks/$id
  mkdir -p "$dir"
  curl -fsS -H "anchor-api-key: $ANCHORBROWSER_API_KEY" "$base_url/v1/task/$id/latest" |
    tee "$body" | jq -r .data.code | base64 -d >"$dir/task.ts"
  jq -S '.data | {taskId, version, language, description, createdAt, updatedAt, browserConfiguration}
             | walk(if type == "object" and has("password") then .password = "<redacted>" else . end)' \
    "$body" >"$dir/task.json"
  git add "$dir"
  # Only when something changed: git commit fails on an empty commit.
  if ! git diff --cached --quiet; then
    git commit -q -m "$id: version $(jq -r .data.version "$body")"
  fi
done <"$ids_file"
