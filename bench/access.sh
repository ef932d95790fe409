#!/usr/bin/env bash
# Issue 3's benchmark: what the access decision and the audit write add to the cached-tile path.
# BEFORE_BIN is a release build of the commit before access control (9a1c9a9, sensitivity ceiling,
# no authentication); the current build serves the same store to a token holder whose reads of
# the restricted hydrants layer are decided and audited. The middle run sends the same header to
# the old build (which ignores it): the difference to it is the decision and the audit alone, the
# difference to the first is that plus carrying a token. Runs alternate to spread the machine's
# drift. Needs bench/out/data from bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/layerserver
BEFORE_BIN=${BEFORE_BIN:?set BEFORE_BIN to a release build of 9a1c9a9}
OUT=bench/out
PORT=${PORT:-18182}
DURATION=${DURATION:-20s}
ROUNDS=${ROUNDS:-3}

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

# The reader: kern, certified, national; the hydrants layer restricted (so every read is audited).
source bench/reader.sh
READER=$(reader_token "$BIN" "$OUT/data")

run() {  # NAME BINARY TOKEN EXTRA_ARGS...
  local name=$1 bin=$2 token=$3; shift 3
  "$bin" serve --data "$OUT/data" --port "$PORT" --tile-cache-mb 128 "$@" > "$OUT/serve-access.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null && break; sleep 0.1; done
  TOKEN=$token URLS="$OUT/tiles-all.txt" wrk -t2 -c16 -d5s -s bench/tiles.lua "http://127.0.0.1:$PORT" > /dev/null
  local before_ticks after_ticks out rps requests
  before_ticks=$(awk '{print $14 + $15}' "/proc/$server/stat")
  out=$(TOKEN=$token URLS="$OUT/tiles-all.txt" wrk -t2 -c64 -d"$DURATION" -s bench/tiles.lua "http://127.0.0.1:$PORT")
  after_ticks=$(awk '{print $14 + $15}' "/proc/$server/stat")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  requests=$(echo "$out" | awk '/requests in/{print $1}')
  echo "$out" | grep -q "Non-2xx" && echo "$name: NON-2XX responses" >&2
  # Server CPU per request (user + system), in microseconds: less sensitive to the machine's drift than req/s.
  echo "$name: $rps req/s, $(python3 -c "print(f'{($after_ticks - $before_ticks) * 1e6 / $(getconf CLK_TCK) / $requests:.1f}')") us CPU/request, peak RSS $(awk '/VmHWM/{print $2/1024 " MB"}' "/proc/$server/status")"
  kill "$server"; wait "$server" 2>/dev/null || true
}

variant() {
  case $1 in
    0) run "before (ceiling, no auth)" "$BEFORE_BIN" "" --maximum-sensitivity confidential ;;
    1) run "before, same Authorization header sent (ignored)" "$BEFORE_BIN" "$READER" --maximum-sensitivity confidential ;;
    2) run "after (token, decision, audit)" "$BIN" "$READER" ;;
  esac
}
# The order rotates each round, so no variant always runs first or last.
for r in $(seq 0 $((ROUNDS - 1))); do
  for i in 0 1 2; do variant $(((r + i) % 3)); done
done
echo "audit records written: $(sqlite3 "$OUT/data/layers.gpkg" 'SELECT COUNT(*), SUM(count) FROM ls_audit' 2>/dev/null || echo 'sqlite3 not installed')"
"$BIN" audit verify --data "$OUT/data"
