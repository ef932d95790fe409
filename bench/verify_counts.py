#!/usr/bin/env python3
"""Feature counts per tile: this server's tiles against tipg's (buffer 0), tile by tile.

    python3 bench/verify_counts.py OURS_DIR TIPG_DIR TILE_LIST [--zooms 11-16]

OURS_DIR holds `layerserver render-tiles --out` output (z-row-col.mvt), TIPG_DIR the peer
harness's tipg tiles (static/tiles/z/x/y.pbf), TILE_LIST its "z x y" list. Our tiles carry a
buffer of 64/4096 around the tile. tipg keeps a point when its exact position lies in the closed
tile ([0, 4096] on both axes) and then rounds it; a rounded position cannot say on which side of an
edge a point within half a unit of it lay. So our tile agrees with tipg's when tipg's count lies
between the points surely inside (rounded to 1..4095) and the points possibly inside (0..4096).
Prints, per zoom, tiles compared, tiles that agree, the largest distance outside that range and
the buffer features, and exits 1 when a tile does not agree. Points only (the benchmark layer);
clustered features count their point_count.
"""
import os
import sys
from collections import defaultdict


def varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if c < 0x80:
            return result, i
        shift += 7


def fields(b):
    i, n = 0, len(b)
    while i < n:
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
            yield f, wt, v
        elif wt == 2:
            ln, i = varint(b, i)
            yield f, wt, b[i:i + ln]
            i += ln
        elif wt == 1:
            yield f, wt, b[i:i + 8]
            i += 8
        elif wt == 5:
            yield f, wt, b[i:i + 4]
            i += 4
        else:
            raise ValueError(f"wire type {wt}")


def packed(b):
    out, i = [], 0
    while i < len(b):
        v, i = varint(b, i)
        out.append(v)
    return out


def unzigzag(v):
    return (v >> 1) ^ -(v & 1)


def points(body):
    """(x, y, count) of every point feature of every layer."""
    out = []
    for f, wt, layer in fields(body):
        if f != 3 or wt != 2:
            continue
        keys, values, feats = [], [], []
        for lf, lwt, v in fields(layer):
            if lf == 3 and lwt == 2:
                keys.append(bytes(v).decode())
            elif lf == 4 and lwt == 2:
                val = None
                for vf, vwt, vv in fields(v):
                    if vwt == 0:
                        val = unzigzag(vv) if vf == 6 else vv
                values.append(val)
            elif lf == 2 and lwt == 2:
                feats.append(v)
        for feat in feats:
            tags, geom = [], []
            for ff, fwt, v in fields(feat):
                if ff == 2 and fwt == 2:
                    tags = packed(v)
                elif ff == 4 and fwt == 2:
                    geom = packed(v)
            count = 1
            for k in range(0, len(tags) - 1, 2):
                if keys[tags[k]] == "point_count":
                    count = values[tags[k + 1]]
            x = y = 0
            i = 1
            for _ in range(geom[0] >> 3 if geom else 0):
                x += unzigzag(geom[i])
                y += unzigzag(geom[i + 1])
                i += 2
                out.append((x, y, count))
    return out


def main():
    args = sys.argv[1:]
    zooms = range(11, 17)
    if "--zooms" in args:
        k = args.index("--zooms")
        lo, hi = args[k + 1].split("-")
        zooms = range(int(lo), int(hi) + 1)
        del args[k:k + 2]
    ours_dir, tipg_dir, tile_list = args
    stats = defaultdict(lambda: {"tiles": 0, "equal": 0, "maxdiff": 0, "buffer": 0, "tipg": 0, "inside": 0})
    for line in open(tile_list):
        parts = line.split()
        if len(parts) != 3:
            continue
        z, x, y = map(int, parts)
        if z not in zooms:
            continue
        ours_path = os.path.join(ours_dir, f"{z}-{y}-{x}.mvt")
        tipg_path = os.path.join(tipg_dir, str(z), str(x), f"{y}.pbf")
        ours = points(open(ours_path, "rb").read()) if os.path.exists(ours_path) else []
        theirs = points(open(tipg_path, "rb").read()) if os.path.exists(tipg_path) else []
        surely = sum(c for px, py, c in ours if 1 <= px <= 4095 and 1 <= py <= 4095)
        inside = sum(c for px, py, c in ours if 0 <= px <= 4096 and 0 <= py <= 4096)
        buffer = sum(c for _, _, c in ours) - inside
        n = len(theirs)
        s = stats[z]
        s["tiles"] += 1
        s["equal"] += surely <= n <= inside
        s["maxdiff"] = max(s["maxdiff"], surely - n, n - inside, 0)
        s["buffer"] += buffer
        s["tipg"] += len(theirs)
        s["inside"] += inside
    bad = False
    print("| zoom | tiles | tipg's count within ours (surely..possibly inside) | largest distance outside | features: tipg / ours possibly inside / ours in buffer |")
    print("| --- | --- | --- | --- | --- |")
    for z in sorted(stats):
        s = stats[z]
        bad |= s["equal"] != s["tiles"]
        print(f"| {z} | {s['tiles']} | {s['equal']} | {s['maxdiff']} | {s['tipg']} / {s['inside']} / {s['buffer']} |")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
