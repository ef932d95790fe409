#!/usr/bin/env bash
# bench/items.sh WORKDIR : OGC API Features side by side with tipg (issue 13), on the peer
# harness's 1M hydrants (../shared/peers: generated once, loaded into PostGIS for tipg, imported
# into a layerserver store here), in one run:
#   1. items pages per second: the first page of `limit=1000` over a dense bbox (central Utrecht),
#      wrk with 2 threads and 4 connections for $SECONDS_PER_RUN s per server, alternating, $ROUNDS
#      rounds. tipg reads public.hydrants_rd (EPSG:28992, as the GeoPackage) and answers in WGS 84,
#      as we do. Both pages are checked to hold 1,000 features.
#   2. a GeoPackage export of the same 102,303 features: `f=gpkg` with an RD bbox, downloaded with
#      curl, against `ogr2ogr -f GPKG -spat` of the same box from the source GeoPackage; alternating,
#      $ROUNDS rounds; feature counts checked equal.
# The layerserver side reads through a certified national reader's token (the layer restricted:
# every read decided and audited). Results: WORKDIR/items/results.txt (appended to bench/RESULTS.md
# by hand, with the date and machine).
set -euo pipefail
MAIN=$(cd "$(dirname "$0")/.." && pwd)
PEERS_DIR=${PEERS_DIR:-$MAIN/../shared/peers}
. "$PEERS_DIR/common.sh" "$@"
BIN=$MAIN/.build/release/layerserver
[ -x "$BIN" ] || die "build first: swift build -c release --product layerserver"
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
need_pkgs gdal-bin wrk curl python3-venv
ensure_venv
"$PY" "$PEERS_DIR/gen_hydrants.py" "$DATA_DIR"
"$PEERS_DIR/setup_postgis.sh" "$WORKDIR"
"$PEERS_DIR/setup_tipg.sh" "$WORKDIR"

OUT=$WORKDIR/items; mkdir -p "$OUT"
LS=$WORKDIR/layerserver
if [ ! -f "$LS/data/layers.gpkg" ]; then
  log "importing the 1M hydrants into $LS/data"
  "$BIN" import "$GPKG_1M" --layer hydrants --owner bench --sensitivity restricted --data "$LS/data" >/dev/null
fi
# shellcheck disable=SC1091
. "$MAIN/bench/reader.sh"
TOKEN=$(reader_token "$BIN" "$LS/data")
PORT=${LS_PORT:-8095}
"$BIN" serve --data "$LS/data" --port "$PORT" >"$OUT/layerserver.log" 2>&1 &
LS_PID=$!
trap 'kill $LS_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done

# 1. Items pages.
BBOX=${BBOX:-5.08,52.07,5.14,52.11}
LS_URL="http://127.0.0.1:$PORT/collections/hydrants/items?limit=1000&bbox=$BBOX"
TIPG_URL="http://127.0.0.1:$TIPG_PORT/collections/public.hydrants_rd/items?limit=1000&bbox=$BBOX"
n_ls=$(curl -sf -H "Authorization: Bearer $TOKEN" "$LS_URL" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))')
n_tipg=$(curl -sf "$TIPG_URL" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["features"]))')
log "features per page: layerserver $n_ls, tipg $n_tipg"
[ "$n_ls" = 1000 ] && [ "$n_tipg" = 1000 ] || die "the bbox $BBOX does not fill a page of 1000 on both servers"
wrk_rate() {  # URL [HEADER] -> requests/s
  if [ -n "${2:-}" ]; then wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" --latency -H "$2" "$1"; else wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" --latency "$1"; fi |
    awk '/Requests\/sec/ {print $2}'
}
{
  echo "items pages/s (limit 1000, bbox $BBOX, wrk 2 threads 4 connections, ${SECONDS_PER_RUN} s)"
  for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then
      a=$(wrk_rate "$LS_URL" "Authorization: Bearer $TOKEN"); b=$(wrk_rate "$TIPG_URL")
    else
      b=$(wrk_rate "$TIPG_URL"); a=$(wrk_rate "$LS_URL" "Authorization: Bearer $TOKEN")
    fi
    echo "round $round: layerserver $a, tipg $b, ratio $(echo "scale=2; $a / $b" | bc)"
  done
} | tee "$OUT/items.txt"

# 2. GeoPackage export of ~100k features against ogr2ogr of the same box.
RD_BOX=${RD_BOX:-114000,434000,156000,486000}
IFS=, read -r x0 y0 x1 y1 <<<"$RD_BOX"
{
  echo "GeoPackage export, RD box $RD_BOX"
  for round in $(seq 1 "$ROUNDS"); do
    rm -f "$OUT/ogr.gpkg" "$OUT/ls.gpkg"
    t0=$(date +%s.%N); ogr2ogr -f GPKG -spat "$x0" "$y0" "$x1" "$y1" "$OUT/ogr.gpkg" "$GPKG_1M"; t1=$(date +%s.%N)
    curl -sf -o "$OUT/ls.gpkg" -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$PORT/collections/hydrants/items?f=gpkg&bbox=$RD_BOX&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/28992&crs=http://www.opengis.net/def/crs/EPSG/0/28992"
    t2=$(date +%s.%N)
    n_ogr=$(ogrinfo -ro -so "$OUT/ogr.gpkg" -al | awk -F': ' '/Feature Count/ {print $2}')
    n_ls=$(ogrinfo -ro -so "$OUT/ls.gpkg" -al | awk -F': ' '/Feature Count/ {print $2}')
    o=$(echo "$t1 - $t0" | bc); l=$(echo "$t2 - $t1" | bc)
    echo "round $round: ogr2ogr $o s ($n_ogr features), layerserver $l s ($n_ls features), ratio $(echo "scale=2; $l / $o" | bc)"
  done
} | tee "$OUT/export.txt"
"$PY" "$PEERS_DIR/bench.py" rss --name layerserver --pid "$LS_PID" | tee -a "$OUT/export.txt"
cat "$OUT/items.txt" "$OUT/export.txt" > "$OUT/results.txt"
