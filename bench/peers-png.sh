#!/usr/bin/env bash
# peers-png.sh WORKDIR : PNG tiles side by side with MapServer 8 (issue 11), in one run of the
# peer harness (../shared/peers): the same 1M hydrants and 1,000 WebMercatorQuad tiles z10-z16,
# drawn as MapServer's PNG peer draws them (bench/styles/hydrants-red.json: red circles of 6 px
# with a 1 px white outline), uncached and hot, with the service's MVT of the same tiles from the
# same instance (cached PNG against cached MVT).
#   layerserver-png       PNG with the defaults: every point MapServer draws (points are only
#                         clustered below WebMercatorQuad 13 when a tile holds more than half the
#                         budget in points, which no tile of the list does)
#   layerserver-mvt       MVT of the same instance
# Run from the project root after `swift build -c release --product layerserver`. Knobs: ROUNDS (1),
# SKIP_LS_IMPORT=1 (reuse the store of an earlier with_layerserver.sh or peers-png.sh run).
MAIN=$PWD
. "$MAIN/../shared/peers/common.sh" "$@"
BIN=$MAIN/.build/release/layerserver
[ -x "$BIN" ] || die "build first: swift build -c release --product layerserver"
need_pkgs gdal-bin wrk curl python3-venv bc
ensure_venv
"$PY" "$PEERS_DIR/gen_hydrants.py" "$DATA_DIR"
[ -f "$TILES_WM" ] || "$PY" "$PEERS_DIR/tiles.py" "$GPKG_1M" "$TILES_DIR"
LS=$WORKDIR/layerserver; mkdir -p "$LS"
if [ "${SKIP_LS_IMPORT:-0}" != 1 ] || [ ! -f "$LS/data/layers.gpkg" ]; then
  rm -rf "$LS/data"
  "$BIN" import "$GPKG_1M" --layer hydrants --owner bench --sensitivity restricted --data "$LS/data" >/dev/null
fi
# shellcheck disable=SC1091
. "$MAIN/bench/reader.sh"
TOKEN=$(reader_token "$BIN" "$LS/data")
start() {  # NAME PORT -> PID
  LAYERSERVER_SIGNED_URL_SECONDS=86400 LAYERSERVER_STYLES="$MAIN/bench/styles" \
    LAYERSERVER_DEFAULT_STYLE=hydrants-red "$BIN" serve --data "$LS/data" --port "$2" >"$LS/$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/health/ready" >/dev/null && break; sleep 0.2; done
  echo $pid
}
signed() {  # PORT -> the access parameter of the TileJSON's signed template
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/collections/hydrants/tiles/WebMercatorQuad/tilejson" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["tiles"][0].split("access=")[1])'
}
P1=$(start layerserver-png 8092)
cleanup() { kill "$P1" 2>/dev/null || true; }
trap cleanup EXIT
A1=$(signed 8092)
[ -n "$A1" ] || die "no signed URL from the TileJSON"
PNG1="http://127.0.0.1:8092/collections/hydrants/map/tiles/WebMercatorQuad/{z}/{y}/{x}?access=$A1"
MVT1="http://127.0.0.1:8092/collections/hydrants/tiles/WebMercatorQuad/{z}/{y}/{x}?access=$A1"
ROUNDS=${ROUNDS:-1} PEERS="mapserver-png" SKIP_IMPORT=${SKIP_IMPORT:-0} \
EXTRA_NAME=layerserver-png EXTRA_URL="$PNG1" EXTRA_FORMAT=png EXTRA_PID="$P1" EXTRA_PEERS="layerserver-mvt=$MVT1" \
  "$PEERS_DIR/run_all.sh" "$WORKDIR"
