#!/usr/bin/env bash
# Export of one incident with 100,000 events (and one with 10,000, to see whether memory grows).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product make-bench-db >/dev/null
(cd .. && swift build -c release --static-swift-stdlib --product firebreak >/dev/null)
for n in 10000 100000; do
  db=${TMPDIR:-/tmp}/firebreak-bench-export-$n.sqlite
  [ -f "$db" ] || .build/release/make-bench-db "$db" 1 1 $n >/dev/null
  for format in markdown json; do
    out=${TMPDIR:-/tmp}/firebreak-export-$n.$format
    /usr/bin/time -f "$n events, $format: %e s, peak RSS %M KiB" ../.build/release/firebreak --db "$db" export INC-1 --format $format --output "$out"
    echo "  output: $(wc -c < "$out") bytes"
  done
done
