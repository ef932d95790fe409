#!/usr/bin/env bash
# Benchmark of issue 4: upload a 1M-feature GeoPackage over HTTP end to end (body streamed to the
# server, pre-flight, validation, write, publish; the CLI follows the job) against
# `ogr2ogr -f GPKG` of the same file. Best of 3 each, alternating. Run through `make bench-upload`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/layerserver
OUT=bench/out
PORT=${PORT:-18182}
COUNT=${COUNT:-1000000}
ROUNDS=${ROUNDS:-3}
mkdir -p "$OUT"

source bench/common.sh
machine
SRC=$(source_file "$BIN" "$OUT" "$COUNT")

echo "file: $SRC, $(du -m "$SRC" | cut -f1) MB"

DATA="$OUT/upload-data"
rm -rf "$DATA"
"$BIN" admin org --data "$DATA" --id bench --name Bench --task beheerder --profile kern --audit certified --reach national --adoption VR09 > /dev/null
"$BIN" admin user --data "$DATA" --id uploader --name Uploader --org bench --roles viewer,editor > /dev/null
TOKEN=$("$BIN" admin token issue --data "$DATA" --user uploader --days 1 | tail -1)

"$BIN" serve --data "$DATA" --port "$PORT" > "$OUT/serve-upload.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null && break; sleep 0.1; done

best_ogr=999999; best_up=999999
for i in $(seq 1 "$ROUNDS"); do
  rm -f "$OUT/ogr2ogr.gpkg"
  t0=$(now); ogr2ogr -f GPKG "$OUT/ogr2ogr.gpkg" "$SRC"; t1=$(now)
  o=$(elapsed "$t0" "$t1"); best_ogr=$(python3 -c "print(min($best_ogr, $o))")
  t0=$(now)
  "$BIN" upload "$SRC" --layer hydrants --server "http://127.0.0.1:$PORT" --token "$TOKEN" --sensitivity restricted > "$OUT/upload.txt" 2>"$OUT/upload-progress.txt"
  t1=$(now)
  u=$(elapsed "$t0" "$t1"); best_up=$(python3 -c "print(min($best_up, $u))")
  echo "run $i: ogr2ogr $o s, HTTP upload to published $u s"
done
echo "ogr2ogr best: $best_ogr s; upload best: $best_up s; ratio $(python3 -c "print(f'{$best_up / $best_ogr:.2f}')")x"
cat "$OUT/upload.txt"
echo "server peak RSS: $(awk '/VmHWM/{print $2/1024 " MB"}' "/proc/$SERVER/status"); RSS after the uploads: $(awk '/VmRSS/{print $2/1024 " MB"}' "/proc/$SERVER/status")"
