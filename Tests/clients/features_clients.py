"""OGC API Features as desktop GIS users' tools read it: GDAL's OAPIF driver lists the layers the
caller may see and reads the same features as the API returns (with the token in a header, and
with HTTP Basic as a stored QGIS login); OWSLib's Features client pages through a layer. Run by
the Swift end-to-end tests (FeatureClientTests) against a live server: features_clients.py BASE_URL TOKEN LAYER."""
import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import requests
from owslib.ogcapi.features import Features

base, token, layer = sys.argv[1], sys.argv[2], sys.argv[3]
headers = {"Authorization": f"Bearer {token}"}

# What the API says: the collections, and every feature of the layer (paged by next links).
api_layers = sorted(c["id"] for c in requests.get(f"{base}/collections", headers=headers, timeout=60).json()["collections"])
api_ids, url = [], f"{base}/collections/{layer}/items?limit=500"
while url:
    page = requests.get(url, headers=headers, timeout=60).json()
    api_ids += [f["id"] for f in page["features"]]
    url = next((l["href"] for l in page["links"] if l["rel"] == "next"), None)
print(f"api: {len(api_layers)} layers, {len(api_ids)} features of {layer}")

# GDAL's OAPIF driver with the token in a header.
def ogr(args, env):
    out = subprocess.run(["ogrinfo", "-ro", "-q", *args], env=env, capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout, out.stderr

header_env = dict(os.environ, GDAL_HTTP_HEADERS=f"Authorization: Bearer {token}")
rc, out, err = ogr([f"OAPIF:{base}"], header_env)
assert rc == 0, err
gdal_layers = sorted(line.split(":", 1)[1].strip().split(" ")[0] for line in out.splitlines() if ":" in line)
assert gdal_layers == api_layers, (gdal_layers, api_layers)
print("ogrinfo layers:", gdal_layers)

def gdal_ids(env):
    # GeoJSON output of every feature, ids as the API gave them.
    out = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{base}/collections/{layer}", "-preserve_fid"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-1000:]
    return [f["id"] for f in json.loads(out.stdout)["features"]]

ids = gdal_ids(header_env)
assert sorted(ids) == sorted(api_ids), (len(ids), len(api_ids))
print(f"ogr2ogr via header: {len(ids)} features, the same ids as the API")

# HTTP Basic with the token as the password (a QGIS stored login); a wrong one is refused.
basic_env = dict(os.environ, GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=f"qgis:{token}")
ids = gdal_ids(basic_env)
assert sorted(ids) == sorted(api_ids), (len(ids), len(api_ids))
print(f"ogr2ogr via Basic: {len(ids)} features")
rc, out, err = ogr([f"OAPIF:{base}"], dict(os.environ, GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=f"qgis:{token[:-4]}AAAA"))
assert rc != 0, out
print("ogrinfo with a wrong Basic password: refused")

# OWSLib pages through the layer by the cursors of the next links.
w = Features(base, headers=headers)
assert layer in [c["id"] for c in w.collections()["collections"]]
seen, cursor, pages = [], None, 0
while True:
    kwargs = {"limit": 300}
    if cursor:
        kwargs["cursor"] = cursor
    page = w.collection_items(layer, **kwargs)
    pages += 1
    seen += [f["id"] for f in page["features"]]
    nxt = next((l["href"] for l in page["links"] if l["rel"] == "next"), None)
    if not nxt:
        break
    cursor = parse_qs(urlparse(nxt).query)["cursor"][0]
assert sorted(seen) == sorted(api_ids) and len(set(seen)) == len(seen), (len(seen), len(api_ids))
print(f"owslib: {pages} pages, {len(seen)} features")
print("ok")
