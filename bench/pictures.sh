#!/usr/bin/env bash
# Issue 10's benchmarks on this machine: (1) the time from a publication to its receipt by 1,000
# Server-Sent Event subscribers (p50, p99; goal p99 < 1 s); (2) the impact query of a threat over
# the 1M-hydrant layer (goal < 200 ms). Release build; the 1M layer of bench/run.sh (made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/layerserver
OUT=bench/out
DATA=$OUT/pictures-data
PORT=${PORT:-18184}
COUNT=${COUNT:-1000000}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
mkdir -p "$OUT"

source bench/common.sh
machine
SRC=$(source_file "$BIN" "$OUT" "$COUNT")
if [ ! -f "$DATA/layers.gpkg" ]; then
  "$BIN" import "$SRC" --layer hydrants --owner bench --sensitivity open --data "$DATA" > /dev/null
fi
source bench/reader.sh
reader_token "$BIN" "$DATA" > /dev/null
# The region's information manager (contributes and publishes) and 50 national readers (20 streams each at most).
"$BIN" admin org --data "$DATA" --id region --name "VR Utrecht" --task hulpdienst --profile kern --audit certified --reach regional --regions VR09 --adoption VR09 > /dev/null
"$BIN" admin user --data "$DATA" --id im --name IM --org region --roles viewer,editor,information-manager:VR09 > /dev/null
IM=$("$BIN" admin token issue --data "$DATA" --user im --days 1 | tail -1)
TOKENS=()
for i in $(seq 1 50); do
  "$BIN" admin user --data "$DATA" --id "reader$i" --name "Reader $i" --org reader --roles viewer > /dev/null
  TOKENS+=("$("$BIN" admin token issue --data "$DATA" --user "reader$i" --days 1 | tail -1)")
done

"$BIN" serve --data "$DATA" --port "$PORT" > "$OUT/serve-pictures.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/health/ready" > /dev/null && break; sleep 0.1; done
ulimit -n 65536 2>/dev/null || true

echo "== (1) publish -> receipt, $SUBSCRIBERS SSE subscribers on /pictures/events"
SUBSCRIBERS=$SUBSCRIBERS python3 bench/sse.py "http://127.0.0.1:$PORT" "$IM" VR09 5 "${TOKENS[@]}"
echo "server RSS with the subscribers gone: $(awk '/VmRSS/{print $2/1024 " MB"}' "/proc/$SERVER/status")"

echo "== (2) impact of a 4 km threat over the 1M-hydrant layer (20 requests after 3 warm-up)"
THREAT=$(curl -s -X POST -H "Authorization: Bearer $IM" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/pictures/VR09/contributions" \
  -d '{"type": "threat", "hazard": "high-water", "headline": "Impact", "severity": "Severe", "urgency": "Expected", "certainty": "Likely",
       "validFrom": "2026-12-01T00:00:00Z", "area": {"crs": "EPSG:28992", "circles": [{"center": [136000, 455000], "radiusMetres": 4000}]}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -s -o /dev/null -X POST -H "Authorization: Bearer $IM" "http://127.0.0.1:$PORT/pictures/VR09/contributions/$THREAT/accept"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $IM" "http://127.0.0.1:$PORT/pictures/VR09/versions"
URL="http://127.0.0.1:$PORT/pictures/VR09/threats/$THREAT/impact?layers=hydrants"
for _ in 1 2 3; do curl -s -o /dev/null -H "Authorization: Bearer ${TOKENS[0]}" "$URL"; done
echo "features in the area: $(curl -s -H "Authorization: Bearer ${TOKENS[0]}" "$URL" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["count"])')"
for _ in $(seq 1 20); do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer ${TOKENS[0]}" "$URL"; done \
  | python3 -c 'import sys, statistics; t = sorted(float(x) * 1000 for x in sys.stdin); print(f"impact: median {statistics.median(t):.0f} ms, p95 {t[int(0.95 * len(t)) - 1]:.0f} ms, max {t[-1]:.0f} ms")'
