#!/usr/bin/env bash
# The PostgreSQL benchmarks, end to end, on a throwaway server this script starts and removes:
#  1. appending 100,000 events to one incident through Firebreak's PostgreSQL store, beside plain
#     postgres-nio inserts of the same rows into the same `event` table (Sources/postgres-bench);
#  2. whole-process `firebreak status INC-1` (1,000 events; 10,000 incidents and about a million
#     events in the database), beside `psql` selecting the same events (hyperfine).
# The server is Debian's PostgreSQL (`scripts/setup` installs it) with its defaults: fsync and
# synchronous commit on, as a team's server has them; loopback only, a free port. Run as root, it
# runs the server as the `postgres` user. Options: RUNS=N (append runs, default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server in /usr/lib/postgresql/*/bin; run scripts/setup" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "postgres.sh: hyperfine is needed" >&2; exit 1; }

# Release builds, firebreak with the static Swift runtime as a release for users has it (see README.md).
swift build -c release --static-swift-stdlib --product postgres-bench >/dev/null
swift build -c release --static-swift-stdlib --product make-bench-db >/dev/null
swift build -c release --static-swift-stdlib --product firebreak >/dev/null
firebreak=$PWD/.build/release/firebreak

# The throwaway server.
folder=$(mktemp -d "${TMPDIR:-/tmp}/firebreak-bench-pg.XXXXXX")
as_postgres=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$folder"
  as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
stop() {
  if [ -f "$folder/data/postmaster.pid" ]; then "${as_postgres[@]}" "$bin/pg_ctl" -D "$folder/data" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$folder"
}
trap stop EXIT
trap 'exit 130' INT TERM
"${as_postgres[@]}" "$bin/initdb" -D "$folder/data" -A trust -U fb -E UTF8 >/dev/null
started=
for _ in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if "${as_postgres[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/log" -w \
      -o "-p $port -k $folder -c listen_addresses=127.0.0.1" start >/dev/null; then started=1; break; fi
done
[ -n "$started" ] || { cat "$folder/log" >&2; echo "postgres.sh: the server did not start" >&2; exit 1; }
psql() { "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U fb "$@"; }
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port:" \
  "fsync=$(psql -d postgres -Atc 'SHOW fsync')," \
  "synchronous_commit=$(psql -d postgres -Atc 'SHOW synchronous_commit')," \
  "shared_buffers=$(psql -d postgres -Atc 'SHOW shared_buffers')"
echo

# 1. Appends, in process.
.build/release/postgres-bench 127.0.0.1 "$port" fb "${RUNS:-5}"
echo

# 2. `firebreak status` start-up: the SQLite database of status-startup.sh, copied with `db copy`.
db=${TMPDIR:-/tmp}/firebreak-bench-status.sqlite
if [ ! -f "$db" ]; then
  rm -f "$db"*
  .build/release/make-bench-db "$db" 10000 100 1000
fi
url="postgresql://fb@127.0.0.1:$port/status?sslmode=disable"
psql -d postgres -c 'CREATE DATABASE status'
/usr/bin/time -f "db copy of the SQLite benchmark database: %e s" "$firebreak" db copy "$db" "$url" >/dev/null
psql -d status -c 'VACUUM ANALYZE'
echo "in the database: $(psql -d status -Atc 'SELECT count(*) FROM incident') incidents," \
  "$(psql -d status -Atc 'SELECT count(*) FROM event') events, INC-1 has $(psql -d status -Atc 'SELECT count(*) FROM event WHERE incident = 1')"
export FIREBREAK_DB="$url" FIREBREAK_PLAYBOOKS=../Playbooks
"$firebreak" status INC-1 >/dev/null  # fails the script here, with firebreak's message, if status cannot run
# PostgreSQL's own psql (Debian's /usr/bin/psql is a Perl wrapper that chooses a version first,
# about 30 ms more); the third line is its floor (start, connect, one trivial query), for context.
hyperfine --warmup 5 --runs 50 -N \
  "$firebreak status INC-1" \
  "$bin/psql -X -A -t $url -c 'SELECT * FROM event WHERE incident = 1 ORDER BY seq'" \
  "$bin/psql -X -A -t $url -c 'SELECT 1'"
