#!/usr/bin/env bash
# Where the echo server's CPU goes under one load: `perf` samples the server process
# (all its threads, JS frames named through --perf-basic-prof) while the Rust load
# generator drives it, then prints the split by binary (kernel, node, JIT code,
# rsnet.node...) and the top symbols.
#
#   benchmark/profile.sh MODULE LOADGEN-MODE [LOADGEN-OPTIONS...]
#   benchmark/profile.sh rsnet pingpong --conns 1 --size 64 --threads 1
#   RSNET_DRIVER=loop benchmark/profile.sh rsnet stream --conns 1 --chunk 65536
#
# MODULE is net or rsnet. SERVER_CPU / LOAD_CPU pin the two sides (default: both on
# CPU 0, as the pingpong-1-same-cpu mode). TOP sets how many symbols are listed (30).
# Needs `perf` (linux-perf) on PATH and the loadgen built (npm run bench builds it);
# neither is installed by `npm install`, since only profiling needs them.
set -euo pipefail

module=${1:?usage: profile.sh net|rsnet LOADGEN-MODE [OPTIONS...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
loadgen="$here/loadgen/target/release/loadgen"
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

command -v perf >/dev/null || { echo "profile.sh: perf is not installed" >&2; exit 1; }
[ -x "$loadgen" ] || { echo "profile.sh: build the loadgen first (npm run bench -- --quick)" >&2; exit 1; }

# The server exits when its stdin closes: keep it open for the run, and no longer.
sleep 30 | RSNET_BENCH_MODULE="$module" taskset -c "${SERVER_CPU:-0}" \
  node --perf-basic-prof "$here/echo-server.js" > "$work/server.json" &
for _ in $(seq 50); do [ -s "$work/server.json" ] && break; sleep 0.1; done
read -r port server_pid < <(node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
  console.log(s.port, s.pid);' "$work/server.json")

taskset -c "${LOAD_CPU:-0}" "$loadgen" "$@" --port "$port" --duration 6 --warmup 1 > "$work/load.json" &
load_pid=$!
sleep 1.5
perf record -q -F 2000 -g -p "$server_pid" -o "$work/perf.data" -- sleep 4 > /dev/null 2>&1
wait "$load_pid"

echo "load: $(cat "$work/load.json")"
echo "-- by binary"
perf report -i "$work/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -8
echo "-- top symbols"
perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null \
  | grep -E '^ +[0-9]' | head -"${TOP:-30}" | cut -c1-110
