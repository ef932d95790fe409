#!/usr/bin/env python3
"""Fetches every tile over the Netherlands for WebMercatorQuad z0-12 and NetherlandsRDNewQuad
z0-8 with Accept-Encoding: gzip and reports the largest (gzipped) tile per zoom."""
import os
import math, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, layer = sys.argv[1], sys.argv[2]
NL_RD = (-10000, 300000, 290000, 630000)
NL_WM = (300000, 6500000, 820000, 7100000)
grids = {
    "WebMercatorQuad": ((-20037508.342789244, 20037508.342789244, 2 * math.pi * 6378137), NL_WM, range(0, 13)),
    "NetherlandsRDNewQuad": ((-285401.92, 903401.92, 3440.64 * 256), NL_RD, range(0, 9)),
}

def fetch(path):
    headers = {"Accept-Encoding": "gzip"}
    if os.environ.get("TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["TOKEN"]
    req = urllib.request.Request(base + path, headers=headers)
    with urllib.request.urlopen(req) as r:
        return len(r.read())

worst_all = 0
for tms, ((ox, oy, span0), (x0, y0, x1, y1), zooms) in grids.items():
    for z in zooms:
        span = span0 / 2 ** z
        cols = range(int((x0 - ox) // span), int((x1 - ox) // span) + 1)
        rows = range(int((oy - y1) // span), int((oy - y0) // span) + 1)
        paths = [f"/collections/{layer}/tiles/{tms}/{z}/{r}/{c}" for r in rows for c in cols]
        with ThreadPoolExecutor(8) as pool:
            sizes = list(pool.map(fetch, paths))
        worst = max(sizes)
        worst_all = max(worst_all, worst)
        print(f"{tms} z{z}: {len(paths)} tiles, largest {worst / 1024:.1f} KB gzipped")
print(f"largest tile overall: {worst_all / 1024:.1f} KB gzipped (limit 500 KB)")
