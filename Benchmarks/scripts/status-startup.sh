#!/usr/bin/env bash
# Whole-process time of `firebreak status INC-1` (1,000 events) in a database of 10,000 incidents
# and about a million events, side by side with the sqlite3 shell selecting that incident's events.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-db.sh
export FIREBREAK_DB="$db" FIREBREAK_PLAYBOOKS=../Playbooks
hyperfine --warmup 5 --runs 50 -N \
  "../.build/release/firebreak status INC-1" \
  "sqlite3 $db 'SELECT * FROM event WHERE incident = 1 ORDER BY seq'"
