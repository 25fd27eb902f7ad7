# Sourced by the SQLite benchmark scripts (from Benchmarks/): builds make-bench-db and firebreak in release, and sets
# `db` to the database of 10,000 incidents of 100 events (INC-1 with 1,000; about a million events), made once.
swift build -c release --product make-bench-db >/dev/null
(cd .. && swift build -c release --static-swift-stdlib --product firebreak >/dev/null)
db=${TMPDIR:-/tmp}/firebreak-bench-status.sqlite
if [ ! -f "$db" ]; then
  rm -f "$db"*
  .build/release/make-bench-db "$db" 10000 100 1000
fi
