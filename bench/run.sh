#!/usr/bin/env bash
# Benchmarks of issue 2 on the 1M-hydrant layer. Writes bench/out/ (not in git) and prints the
# numbers that go into bench/RESULTS.md. Run through `make bench` (release build, wrk installed).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/layerserver
OUT=bench/out
PORT=${PORT:-18181}
COUNT=${COUNT:-1000000}
DURATION=${DURATION:-20s}
mkdir -p "$OUT"

source bench/common.sh
machine
SRC=$(source_file "$BIN" "$OUT" "$COUNT")


echo "== (a) import versus ogr2ogr -f GPKG (best of 3, fresh target each time)"
best_ogr=999999; best_imp=999999
for i in 1 2 3; do
  rm -f "$OUT/ogr2ogr.gpkg"
  t0=$(now); ogr2ogr -f GPKG "$OUT/ogr2ogr.gpkg" "$SRC"; t1=$(now)
  o=$(elapsed "$t0" "$t1"); best_ogr=$(python3 -c "print(min($best_ogr, $o))")
  rm -rf "$OUT/data"
  t0=$(now); "$BIN" import "$SRC" --layer hydrants --owner bench --sensitivity open --data "$OUT/data" > "$OUT/import.txt"; t1=$(now)
  m=$(elapsed "$t0" "$t1"); best_imp=$(python3 -c "print(min($best_imp, $m))")
  echo "run $i: ogr2ogr $o s, layerserver import $m s"
done
echo "ogr2ogr best: $best_ogr s; import best: $best_imp s; ratio $(python3 -c "print(f'{$best_imp / $best_ogr:.2f}')")x"
cat "$OUT/import.txt"

echo "== access: a certified kern partner with national reach reads the (restricted) hydrants"
source bench/reader.sh
TOKEN=$(reader_token "$BIN" "$OUT/data")
export TOKEN

echo "== tile lists"
python3 bench/tiles.py "$SRC" "$OUT"

serve() {  # serve CACHE_MB
  "$BIN" serve --data "$OUT/data" --port "$PORT" --tile-cache-mb "$1" > "$OUT/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null && return 0; sleep 0.1; done
  echo "server did not start"; cat "$OUT/serve.log"; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }
rss() { awk '/VmHWM/{print $2/1024 " MB"}' "/proc/$SERVER/status"; }

echo "== tile path without HTTP (render-tiles: in-process, one renderer, no cache)"
for list in z14 all; do
  echo -n "$list: "; "$BIN" render-tiles "$OUT/tiles-$list.txt" --data "$OUT/data" --rounds 3
done

echo "== (b) uncached tiles per second (cache off; 2 wrk threads, 16 connections, $DURATION)"
serve 0
for list in all z10 z14 z14 z14 z16; do
  echo "-- $list"
  URLS="$OUT/tiles-$list.txt" wrk -t2 -c16 -d"$DURATION" -s bench/tiles.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Latency|Non-2xx|status"
done
echo "peak RSS (uncached run): $(rss)"
stop

echo "== (c) cached tiles per second (default 128 MB cache, warmed; 2 wrk threads, 64 connections, 3 x $DURATION)"
serve 128
URLS="$OUT/tiles-all.txt" wrk -t2 -c16 -d5s -s bench/tiles.lua "http://127.0.0.1:$PORT" > /dev/null
for run in 1 2 3; do
  URLS="$OUT/tiles-all.txt" wrk -t2 -c64 -d"$DURATION" -s bench/tiles.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Latency|Non-2xx|status"
done
echo "peak RSS (cached run): $(rss)"

echo "== largest tiles (gzip) per zoom, every tile over the Netherlands"
python3 bench/sweep.py "http://127.0.0.1:$PORT" hydrants
echo "peak RSS (whole session): $(rss)"
stop
