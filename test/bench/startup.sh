#!/usr/bin/env bash
# Startup, latency and memory figures of the Bridge (issue 2's targets), in one run:
#   cold start  - fresh process, empty compilation cache, empty template cache (compile, initdb, boot)
#   template    - new cluster from the cached template, in memory and in a new host directory
#   warm start  - fresh process, cached compile, existing data directory
#   idle RSS    - VmRSS of a process holding one idle in-memory instance
#   SELECT 1    - one simple query through Exec (ns/op, allocs/op)
# Each startup figure is measured inside a child process with its own HOME and XDG_CACHE_HOME.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-3s}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $($GO version)"
echo

echo "== startup (fresh child processes)"
PGLITE_MEASURE=1 $GO test ./bridge -run '^TestStartup_measure$' -count=1 -v -timeout 10m 2>&1 |
	grep -E 'bench_test.go:[0-9]+: (cold|template|warm|idle|SUMMARY)' | sed -E 's/^ *bench_test.go:[0-9]+: /  /'
echo

echo "== in-process benchmarks"
$GO test ./bridge -run '^$' -count=1 -benchmem -benchtime "$BENCHTIME" \
	-bench '^Benchmark_(execSelect1|execSelect1Extended)$' 2>&1 | grep -E '^Benchmark' | sed 's/^/  /'
$GO test ./bridge -run '^$' -count=1 -benchmem -benchtime 10x \
	-bench '^Benchmark_(openTemplateMemory|openTemplateHostDir|openExistingHostDir|templateImport|templateFS|copyTemplateDir)$' 2>&1 |
	grep -E '^Benchmark' | sed 's/^/  /'
