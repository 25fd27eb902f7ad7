#!/usr/bin/env bash
# Whole-process time of `firebreak verify` (every incident: SQLite's integrity check, each log's hash chain, each
# log folded and compared with its stored state) in a database of 10,000 incidents and about a million events, side
# by side with the sqlite3 shell running `PRAGMA integrity_check` of the same file. Give other firebreak binaries as
# arguments to run them in the same hyperfine run (a baseline built from an earlier commit, say).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-db.sh
commands=("../.build/release/firebreak --db $db verify")
for binary in "$@"; do commands+=("$binary --db $db verify"); done
hyperfine --warmup 1 --runs 10 -N "${commands[@]}" "sqlite3 $db 'PRAGMA integrity_check'"
