#!/usr/bin/env bash
# Issue 9's measurement: what the hardening adds to serving tiles. The connection guard (header,
# idle and slow-body timeouts) sees every request part and every socket read, and the read
# decision now comes first on every route. BEFORE_BIN is a release build of the commit before
# issue 9 (050db83); both builds serve the same store to the same token holder (a certified kern
# reader with national reach: no spatial filter, so the tiles are the same), cached (warm cache,
# 64 connections) and uncached (z14, 16 connections). Runs alternate to spread the machine's drift.
#
#   git worktree add /tmp/before9 050db83 && (cd /tmp/before9 && swift build -c release --product layerserver)
#   swift build -c release --product layerserver
#   BEFORE_BIN=/tmp/before9/.build/release/layerserver bench/guard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/layerserver
BEFORE_BIN=${BEFORE_BIN:?set BEFORE_BIN to a release build of 050db83}
OUT=bench/out
DATA=$OUT/guard-data
PORT=${PORT:-18183}
COUNT=${COUNT:-200000}
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"

source bench/common.sh
machine
SRC=$(source_file "$BIN" "$OUT" "$COUNT")
if [ ! -f "$DATA/layers.gpkg" ]; then
  "$BIN" import "$SRC" --layer hydrants --owner bench --sensitivity open --data "$DATA" > /dev/null
fi
source bench/reader.sh
READER=$(reader_token "$BIN" "$DATA")
[ -f "$OUT/guard-tiles/tiles-all.txt" ] || { mkdir -p "$OUT/guard-tiles"; python3 bench/tiles.py "$SRC" "$OUT/guard-tiles" > /dev/null; }

run() {  # NAME BINARY CACHE_MB LIST CONNECTIONS
  local name=$1 bin=$2 cache=$3 list=$4 connections=$5
  "$bin" serve --data "$DATA" --port "$PORT" --tile-cache-mb "$cache" > "$OUT/serve-guard.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null && break; sleep 0.1; done
  [ "$cache" = 0 ] || TOKEN=$READER URLS="$OUT/guard-tiles/tiles-$list.txt" wrk -t2 -c16 -d5s -s bench/tiles.lua "http://127.0.0.1:$PORT" > /dev/null
  local before_ticks after_ticks out rps requests
  before_ticks=$(awk '{print $14 + $15}' "/proc/$server/stat")
  out=$(TOKEN=$READER URLS="$OUT/guard-tiles/tiles-$list.txt" wrk -t2 -c"$connections" -d"$DURATION" -s bench/tiles.lua "http://127.0.0.1:$PORT")
  after_ticks=$(awk '{print $14 + $15}' "/proc/$server/stat")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  requests=$(echo "$out" | awk '/requests in/{print $1}')
  echo "$out" | grep -q "Non-2xx" && echo "$name: NON-2XX responses" >&2
  echo "$name: $rps req/s, $(python3 -c "print(f'{($after_ticks - $before_ticks) * 1e6 / $(getconf CLK_TCK) / $requests:.1f}')") us CPU/request"
  kill "$server"; wait "$server" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r"
  if [ $((r % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for which in $order; do
    bin=$BIN; [ "$which" = before ] && bin=$BEFORE_BIN
    run "$which cached" "$bin" 128 all 64
    run "$which uncached z14" "$bin" 0 z14 16
  done
done
