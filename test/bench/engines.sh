#!/usr/bin/env bash
# Both WebAssembly engines side by side, in one run on this machine: $ENGINES_ROUNDS rounds
# (default 3), alternating which engine goes first, each figure from a fresh test process
# with PGLITE_ENGINE set. Prints every round and the median per engine:
#   SELECT 1 and the pgbench -S lookup through Exec   test/bench Benchmark_execSelect1Direct,
#                                                     Benchmark_execAccountSelectDirect
#   SELECT 1 simple and extended (bridge)             bridge Benchmark_execSelect1{,Extended}
#   pgtest.New to the first query                     test/pgtest BenchmarkNewDatabase/clone
#   cold start, warm start (Open + first query),     bridge TestStartup_measure (child
#   RSS of the first idle in-memory instance          processes, fresh caches)
#   pglited warm start on an existing data dir        test/bench TestPglitedWarmStart_measure
# Environment: ENGINES_ROUNDS (3), ENGINES_BENCHTIME (2s), ENGINES (wazero wasmtime).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${ENGINES_ROUNDS:-3}
benchtime=${ENGINES_BENCHTIME:-2s}
read -r -a engines <<<"${ENGINES:-wazero wasmtime}"

work=$(mktemp -d "${TMPDIR:-/tmp}/pglite-engines.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$root"
timeout 600 make -s assets >/dev/null
for pkg in test/bench bridge test/pgtest; do
  timeout 600 go test -c -o "$work/$(echo "$pkg" | tr / _).test" "./$pkg"
done

declare -A val
# bench PKG ENGINE KEY... BENCHARGS: runs benchmarks, stores ns/op per benchmark name.
bench() {
  local pkg=$1 eng=$2 re=$3 bt=$4 bin
  bin="$work/$(echo "$pkg" | tr / _).test"
  (cd "$pkg" && PGLITE_ENGINE=$eng timeout 900 "$bin" -test.run '^$' -test.bench "$re" -test.benchtime "$bt" -test.count 1) >"$work/out" 2>&1 || { cat "$work/out" >&2; return 1; }
  while read -r name _ ns _; do
    name=${name%-[0-9]*}
    val[$name,$eng,$round]=$(awk -v n="$ns" 'BEGIN { printf "%.1f", n / 1000 }')
  done < <(grep -E '^Benchmark' "$work/out" | awk '$4 == "ns/op" { print $1, $2, $3, $4 }')
}
# summary PKG ENGINE TEST: runs a measuring test and stores the key=value pairs of its SUMMARY line.
summary() {
  local pkg=$1 eng=$2 test=$3 bin kv
  bin="$work/$(echo "$pkg" | tr / _).test"
  (cd "$pkg" && PGLITE_MEASURE=1 PGLITE_ENGINE=$eng timeout 1200 "$bin" -test.run "^$test\$" -test.v -test.count 1) >"$work/out" 2>&1 || { cat "$work/out" >&2; return 1; }
  for kv in $(grep -o 'SUMMARY.*' "$work/out" | tr ' ' '\n' | grep '='); do
    val[${kv%%=*},$eng,$round]=${kv#*=}
  done
}

for round in $(seq 1 "$rounds"); do
  order=("${engines[@]}")
  if [ $((round % 2)) = 0 ]; then
    order=()
    for ((i = ${#engines[@]} - 1; i >= 0; i--)); do order+=("${engines[$i]}"); done
  fi
  for eng in "${order[@]}"; do
    echo "round $round: $eng" >&2
    bench test/bench "$eng" '^Benchmark_(execSelect1Direct|execAccountSelectDirect)$' "$benchtime"
    bench bridge "$eng" '^Benchmark_(execSelect1|execSelect1Extended)$' "$benchtime"
    bench test/pgtest "$eng" '^BenchmarkNewDatabase$/^clone$' 30x
    summary bridge "$eng" TestStartup_measure
    summary test/bench "$eng" TestPglitedWarmStart_measure
  done
done

rows=(
  "Benchmark_execSelect1Direct|SELECT 1 through Exec (µs)"
  "Benchmark_execAccountSelectDirect|pgbench -S lookup through Exec (µs)"
  "Benchmark_execSelect1|bridge SELECT 1, simple protocol (µs)"
  "Benchmark_execSelect1Extended|bridge SELECT 1, extended protocol (µs)"
  "BenchmarkNewDatabase/clone|pgtest.New to first query (µs)"
  "median|pglited warm start, existing data dir, fresh process (ms)"
  "warm_first_query_ms|Open + first query, existing data dir, fresh process (ms)"
  "idle_rss_mb|RSS, first idle in-memory instance (MB)"
  "cold_first_query_ms|cold start, fresh cache: compile + initdb + boot + query (ms)"
)
echo
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load after: $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3)"
echo "$rounds alternating rounds; each cell: the rounds in order, then the median"
echo
printf '| %s |' "measure"; for eng in "${engines[@]}"; do printf ' %s |' "$eng"; done; echo
printf '|---|'; for _ in "${engines[@]}"; do printf -- '---|'; done; echo
for r in "${rows[@]}"; do
  key=${r%%|*} label=${r#*|}
  printf '| %s |' "$label"
  for eng in "${engines[@]}"; do
    list=() 
    for round in $(seq 1 "$rounds"); do list+=("${val[$key,$eng,$round]:-?}"); done
    med=$(printf '%s\n' "${list[@]}" | grep -v '?' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "?" }')
    printf ' %s (%s) |' "$(IFS=,; echo "${list[*]}" | sed 's/,/, /g')" "$med"
  done
  echo
done
