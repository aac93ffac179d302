#!/usr/bin/env bash
# Added latency of the server over a direct Exec: runs Benchmark_execSelect1Direct and
# Benchmark_serverSelect1 (test/bench/latency_test.go) $LATENCY_COUNT times each, alternately,
# and prints the medians and their difference (target: under 30 µs per simple query on
# loopback), next to the floor of any loopback server on this machine (floor_test.go: a bare
# echo round trip, and that round trip followed by a direct Exec).
# Environment: LATENCY_BENCHTIME (default 3s), LATENCY_COUNT (default 3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
benchtime=${LATENCY_BENCHTIME:-3s}
count=${LATENCY_COUNT:-3}

work=$(mktemp -d "${TMPDIR:-/tmp}/pglite-latency.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$root" && timeout 600 make -s assets >/dev/null)
(cd "$root" && timeout 600 go test -c -o "$work/bench.test" ./test/bench/)

run() { # NAME: one run of one benchmark, prints ns/op
  (cd "$here" && timeout 600 "$work/bench.test" -test.run '^$' -test.bench "^$1\$" -test.benchtime "$benchtime" -test.count 1) |
    awk -v n="$1" '$1 ~ "^"n"(-[0-9]+)?$" { print $3 }'
}

direct=() server=() pgx=() rtt=() floor=()
for i in $(seq 1 "$count"); do
  direct+=("$(run Benchmark_execSelect1Direct)")
  server+=("$(run Benchmark_serverSelect1)")
  pgx+=("$(run Benchmark_serverSelect1Pgx)")
  rtt+=("$(run Benchmark_loopbackEcho)")
  floor+=("$(run Benchmark_execSelect1AfterEcho)")
  echo "latency.sh: run $i: direct ${direct[-1]} ns, server ${server[-1]} ns, server via pgx ${pgx[-1]} ns, echo ${rtt[-1]} ns, echo+direct ${floor[-1]} ns" >&2
done

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
d=$(median "${direct[@]}")
s=$(median "${server[@]}")
p=$(median "${pgx[@]}")
e=$(median "${rtt[@]}")
f=$(median "${floor[@]}")
[ -n "$d" ] && [ -n "$s" ] || { echo "latency.sh: a benchmark did not report" >&2; exit 1; }

echo
echo "simple query SELECT 1, median of $count runs of $benchtime"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(go version | cut -d' ' -f3), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -v d="$d" -v s="$s" -v p="$p" -v e="$e" -v f="$f" 'BEGIN {
  printf "| %-44s | %10s |\n", "measure", "us/query"
  printf "|%s|%s|\n", "----------------------------------------------", "------------"
  printf "| %-44s | %10.1f |\n", "direct Exec (bridge, no server)", d / 1000
  printf "| %-44s | %10.1f |\n", "server, raw pgproto3 client over TCP", s / 1000
  printf "| %-44s | %10.1f |\n", "server, pgx simple protocol over TCP", p / 1000
  printf "| %-44s | %10.1f |\n", "loopback echo round trip (Go, no database)", e / 1000
  printf "| %-44s | %10.1f |\n", "echo round trip, then direct Exec", f / 1000
  printf "| %-44s | %10.1f |\n", "added by the server (server - direct)", (s - d) / 1000
  printf "| %-44s | %10.1f |\n", "added beyond that floor (server - echo+Exec)", (s - f) / 1000
  printf "\ntarget: added latency under 30 µs: %s\n", ((s - d) < 30000 ? "met" : "NOT met")
}'
