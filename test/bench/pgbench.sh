#!/usr/bin/env bash
# pgbench, side by side: our bin/pglited, once per WebAssembly engine, against Node's
# @electric-sql/pglite-socket 0.2.17 (with the @electric-sql/pglite we embed), all in memory, on
# 127.0.0.1, in one run on this machine.
#
# Points: pgbench -S -c1, pgbench -S -M prepared -c1, and the default TPC-B-like script at -c1
# and -c4, each for $BENCH_DURATION seconds after pgbench -i -s $BENCH_SCALE. The points run
# alternately against the servers (the order rotates every round), $BENCH_ROUNDS times; the
# table shows the median tps of the rounds, its average latency, and each engine's ratio to
# pglite-socket.
#
# Environment: BENCH_DURATION (default 15), BENCH_SCALE (1), BENCH_ROUNDS (1),
# BENCH_ENGINES (default "wazero wasmtime"; engines this build lacks are skipped),
# BENCH_NODE (node binary, default `node`; Node 20 expected), BENCH_CACHE (npm install dir).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
duration=${BENCH_DURATION:-15}
scale=${BENCH_SCALE:-1}
rounds=${BENCH_ROUNDS:-1}
read -r -a engines <<<"${BENCH_ENGINES:-wazero wasmtime}"
node=${BENCH_NODE:-node}
socket_version=0.2.17
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pglite-go/bench/pglite-socket-$socket_version}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

log() { echo "pgbench.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# the PGlite release we embed (internal/assetinstall/pins.go), so that both servers run the same PostgreSQL
pglite_version=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' "$root/internal/assetinstall/pins.go")
[ -n "$pglite_version" ] || die "no PGlite version in internal/assetinstall/pins.go"

work=$(mktemp -d "${TMPDIR:-/tmp}/pglite-pgbench.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    # give each server 10 s to exit cleanly, then kill it
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------------------------

# pgbench: on Debian it is in postgresql-client (older releases) or in the server package
# postgresql-NN (Debian 12 and later), which postgresql-contrib pulls in.
if ! pgbench --version >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
  log "installing pgbench (postgresql-client, then postgresql-contrib if needed)"
  timeout 600 $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 600 $sudo apt-get install -y -qq postgresql-client >/dev/null
  if ! pgbench --version >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive timeout 600 $sudo apt-get install -y -qq postgresql-contrib >/dev/null
  fi
  pgbench --version >/dev/null 2>&1 || die "pgbench is still missing"
fi
command -v "$node" >/dev/null 2>&1 || die "node not found (set BENCH_NODE)"
command -v npm >/dev/null 2>&1 || die "npm not found"
node_version=$("$node" --version)
case $node_version in
  v20.*) ;;
  *) log "warning: Node $node_version, not Node 20 (set BENCH_NODE to a Node 20 binary)" ;;
esac

# Our server.
log "building bin/pglited"
(cd "$root" && timeout 900 make -s build >/dev/null)

# pglite-socket 0.2.17 declares a peer dependency on exactly @electric-sql/pglite 0.5.14;
# we pin the build we embed and install with --legacy-peer-deps so npm accepts it.
installed_version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$cache/node_modules/@electric-sql/$1/package.json" 2>/dev/null | head -1; }
if [ "$(installed_version pglite-socket)" != "$socket_version" ] || [ "$(installed_version pglite)" != "$pglite_version" ]; then
  log "installing @electric-sql/pglite-socket@$socket_version and @electric-sql/pglite@$pglite_version into $cache"
  rm -rf "$cache"
  mkdir -p "$cache"
  echo '{"name":"pglite-go-bench","private":true}' >"$cache/package.json"
  (cd "$cache" && timeout 600 npm install --no-audit --no-fund --silent --legacy-peer-deps \
    "@electric-sql/pglite-socket@$socket_version" "@electric-sql/pglite@$pglite_version" >/dev/null)
fi
[ "$(installed_version pglite-socket)" = "$socket_version" ] || die "pglite-socket $socket_version did not install"
[ "$(installed_version pglite)" = "$pglite_version" ] || die "pglite $pglite_version did not install"
socket_peer=$(sed -n 's/^ *"@electric-sql\/pglite": *"\([^"]*\)".*/\1/p' "$cache/node_modules/@electric-sql/pglite-socket/package.json" | head -1)
server_js=$cache/node_modules/@electric-sql/pglite-socket/dist/scripts/server.js
[ -f "$server_js" ] || die "missing $server_js"

# --- servers ---------------------------------------------------------------------------------

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    port_in_use "$p" || { echo "$p"; return; }
  done
  die "no free port"
}

# wait_ready PORT PID NAME: a real startup and query, within 120 s.
wait_ready() {
  for _ in $(seq 1 240); do
    kill -0 "$2" 2>/dev/null || die "$3 exited during startup (log: $(tail -5 "$work/$3.log"))"
    if PGCONNECT_TIMEOUT=2 timeout 5 psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
      return
    fi
    sleep 0.5
  done
  die "$3 did not become ready on port $1"
}

# One pglited per engine; an engine this build lacks exits at once and is dropped.
systems=()
declare -A port
for eng in "${engines[@]}"; do
  p=$(free_port)
  for q in "${port[@]}"; do [ "$p" != "$q" ] || p=$(free_port); done
  PGLITE_ENGINE=$eng "$root/bin/pglited" --listen 127.0.0.1 --port "$p" --log-level warn >"$work/$eng.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  sleep 0.3
  if ! kill -0 "$pid" 2>/dev/null; then
    log "engine $eng is not available: $(tail -1 "$work/$eng.log")"
    continue
  fi
  port[$eng]=$p
  systems+=("$eng")
  wait_ready "$p" "$pid" "$eng"
done
[ ${#systems[@]} -gt 0 ] || die "no engine could start"

theirs_port=$(free_port)
for q in "${port[@]}"; do [ "$theirs_port" != "$q" ] || theirs_port=$(free_port); done
# Without --max-connections pglite-socket accepts one connection and refuses the others; its
# own multiplexer (-m) is what lets -c4 run at all.
"$node" "$server_js" --db=memory:// --host=127.0.0.1 --port="$theirs_port" --max-connections=8 >"$work/pglite-socket.log" 2>&1 &
theirs_pid=$!
pids+=("$theirs_pid")
port[theirs]=$theirs_port
wait_ready "$theirs_port" "$theirs_pid" pglite-socket
systems+=(theirs)

# --- runs ------------------------------------------------------------------------------------

# Client-side data generation (-I g) sends COPY FROM STDIN, which pglite-socket 0.2.17 fails
# ("PQputline failed"), so both servers are initialised with server-side generation (G).
for sys in "${systems[@]}"; do
  log "pgbench -i -s $scale on $sys"
  if ! timeout 300 pgbench -h 127.0.0.1 -p "${port[$sys]}" -U postgres -i -I dtGvp -s "$scale" -q postgres >"$work/init-$sys.log" 2>&1; then
    die "pgbench -i failed on $sys: $(tail -3 "$work/init-$sys.log")"
  fi
done

points=("select-c1|-S -c1" "select-prepared-c1|-S -M prepared -c1" "tpcb-c1|-c1" "tpcb-c4|-c4")
labels=("pgbench -S -c1" "pgbench -S -M prepared -c1" "TPC-B-like -c1" "TPC-B-like -c4")

# run SYS POINT ROUND: one pgbench run; prints "tps latency_ms" or "FAIL reason".
run_point() {
  local sys=$1 name=$2 args=$3 round=$4 out rc
  out="$work/$name-$sys-$round.log"
  rc=0
  # shellcheck disable=SC2086
  timeout --kill-after=5 $((duration + 60)) pgbench -h 127.0.0.1 -p "${port[$sys]}" -U postgres -n $args -T "$duration" postgres >"$out" 2>&1 || rc=$?
  local tps lat failed
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out" | head -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$out" | head -1)
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out" | head -1)
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "FAIL timeout after $((duration + 60))s"
  elif [ "$rc" != 0 ] || [ -z "$tps" ]; then
    echo "FAIL $(grep -m1 -iE 'error|fatal|abort' "$out" | tr -s ' ' | cut -c1-80 || echo "exit $rc")"
  elif [ -n "$failed" ] && [ "$failed" != 0 ]; then
    echo "FAIL $failed failed transactions"
  else
    echo "$tps $lat"
  fi
}

declare -A result
for round in $(seq 1 "$rounds"); do
  # rotate the order of the servers by one every round
  order=()
  n=${#systems[@]}
  for ((i = 0; i < n; i++)); do order+=("${systems[$(((i + round - 1) % n))]}"); done
  for p in "${points[@]}"; do
    name=${p%%|*}
    args=${p#*|}
    for sys in "${order[@]}"; do
      log "round $round: $name on $sys"
      r=$(run_point "$sys" "$name" "$args" "$round")
      result[$name,$sys,$round]=$r
      log "  -> $r"
    done
  done
done

# median of the rounds by tps; a failed round makes the point fail.
pick() {
  local name=$1 sys=$2 r lines=""
  for round in $(seq 1 "$rounds"); do
    r=${result[$name,$sys,$round]}
    case $r in FAIL*) echo "$r"; return ;; esac
    lines+="$r"$'\n'
  done
  printf '%s' "$lines" | sort -n -k1,1 | sed -n "$(((rounds + 1) / 2))p"
}

echo
echo "pgbench, in memory, scale $scale, ${duration}s per run, $rounds round(s), median tps"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ours: bin/pglited ($(go version | cut -d' ' -f3)) on each engine; theirs: pglite-socket $socket_version + pglite $pglite_version on Node $node_version (pglite-socket declares pglite $socket_peer; installed with --legacy-peer-deps)"
echo "$(pgbench --version)"
echo
fmt_point() { # RESULT: "tps (lat ms)" or the failure
  case $1 in FAIL*) echo "failed: ${1#FAIL }" ;; *) printf '%.1f (%s ms)' "${1%% *}" "${1#* }" ;; esac
}
header="| point |"
rule="|---|"
for sys in "${systems[@]}"; do
  [ "$sys" = theirs ] && header+=" pglite-socket tps (latency) |" || header+=" $sys tps (latency) |"
  rule+="---|"
done
for sys in "${systems[@]}"; do [ "$sys" = theirs ] || { header+=" $sys / pglite-socket |"; rule+="---|"; }; done
echo "$header"
echo "$rule"
slower=0
for i in "${!points[@]}"; do
  name=${points[$i]%%|*}
  t=$(pick "$name" theirs)
  line="| ${labels[$i]} |"
  for sys in "${systems[@]}"; do line+=" $(fmt_point "$(pick "$name" "$sys")") |"; done
  for sys in "${systems[@]}"; do
    [ "$sys" = theirs ] && continue
    o=$(pick "$name" "$sys")
    ratio="n/a"
    case "$o$t" in
      *FAIL*) slower=1 ;;
      *) ratio=$(awk -v a="${o%% *}" -v b="${t%% *}" 'BEGIN { printf "%.2fx", a / b }')
         awk -v a="${o%% *}" -v b="${t%% *}" 'BEGIN { exit !(a <= b) }' && slower=1 ;;
    esac
    line+=" $ratio |"
  done
  echo "$line"
done
echo
if [ "$slower" = 1 ]; then
  echo "NOT FASTER at every point on every engine (see the table)."
fi
echo "logs were in $work (removed on exit); server logs:"
for sys in "${systems[@]}"; do
  [ "$sys" = theirs ] && continue
  tail -3 "$work/$sys.log" | sed "s/^/  $sys: /"
done
tail -3 "$work/pglite-socket.log" | sed 's/^/  pglite-socket: /'
