#!/usr/bin/env python3
"""Writes the fixed tile lists of the benchmark: 1,000 tiles at z10-z16 in both grids
(500 NetherlandsRDNewQuad, 500 WebMercatorQuad), centred on hydrants of the layer so that
every tile has data, plus per-zoom lists. Deterministic: the same layer gives the same lists."""
import math, random, sqlite3, struct, subprocess, sys

src, out = sys.argv[1], sys.argv[2]
db = sqlite3.connect(src)
table = db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'").fetchone()[0]
n = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
rng = random.Random(2026)
fids = sorted(rng.sample(range(1, n + 1), 1000))
points = []
for fid in fids:
    blob = db.execute(f'SELECT geom FROM "{table}" WHERE fid = ?', (fid,)).fetchone()[0]
    flags = blob[3]
    env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 7]
    x, y = struct.unpack_from("<dd", blob, 8 + env + 5)
    points.append((x, y))

# RD New -> Web Mercator with PROJ's cs2cs (same library the server uses).
text = "\n".join(f"{x} {y}" for x, y in points)
res = subprocess.run(["cs2cs", "-f", "%.6f", "EPSG:28992", "EPSG:3857"], input=text, capture_output=True, text=True, check=True)
merc = [tuple(map(float, line.split()[:2])) for line in res.stdout.strip().splitlines()]

RD = (-285401.92, 903401.92, 3440.64 * 256)
WM = (-20037508.342789244, 20037508.342789244, 2 * math.pi * 6378137)

def tile(origin, p, z):
    ox, oy, span0 = origin
    span = span0 / (2 ** z)
    return z, int((oy - p[1]) // span), int((p[0] - ox) // span)

tiles = []
for i in range(1000):
    z = 10 + i % 7
    if i % 2 == 0:
        t = tile(RD, points[i], z); tms = "NetherlandsRDNewQuad"
    else:
        t = tile(WM, merc[i], z); tms = "WebMercatorQuad"
    tiles.append((tms, *t))

def write(name, items):
    with open(f"{out}/tiles-{name}.txt", "w") as f:
        for tms, z, row, col in items:
            f.write(f"/collections/hydrants/tiles/{tms}/{z}/{row}/{col}\n")

write("all", tiles)
for z in range(10, 17):
    write(f"z{z}", [t for t in tiles if t[1] == z])
print(f"wrote {len(tiles)} tiles ({sum(1 for t in tiles if t[1] == 14)} at z14) to {out}/tiles-*.txt")
