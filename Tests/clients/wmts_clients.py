"""WMTS as QGIS and ArcGIS users' tools read it: OWSLib parses the capabilities and fetches a
tile in both tile matrix sets; GDAL's WMTS driver opens a layer. Run by the Swift end-to-end
tests (WMTSTests) against a live server: wmts_clients.py BASE_URL TOKEN."""
import math
import os
import subprocess
import tempfile
import sys

from owslib.wmts import WebMapTileService

base, token = sys.argv[1], sys.argv[2]
headers = {"Authorization": f"Bearer {token}"}
wmts = WebMapTileService(f"{base}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", version="1.0.0", headers=headers)
assert wmts.identification.type == "OGC WMTS", wmts.identification.type
layers = sorted(wmts.contents)
print("layers:", layers)
for expected in ("hydrants", "operational-picture"):
    assert expected in layers, f"{expected} not in {layers}"
for tms in ("WebMercatorQuad", "NetherlandsRDNewQuad"):
    assert tms in wmts.tilematrixsets, f"{tms} not in {list(wmts.tilematrixsets)}"
    assert tms in wmts.contents["hydrants"].tilematrixsetlinks, tms
# One tile over Utrecht in each matrix set (row/col computed from the matrix definitions).
lon, lat = 5.12, 52.09
mx, my = lon * 20037508.342789244 / 180, math.log(math.tan((90 + lat) * math.pi / 360)) * 6378137
for tms, z, x, y in (("WebMercatorQuad", 11, mx, my), ("NetherlandsRDNewQuad", 6, 136000.0, 456000.0)):
    matrix = wmts.tilematrixsets[tms].tilematrix[str(z)]
    span = matrix.scaledenominator * 0.00028 * matrix.tilewidth
    col = int((x - matrix.topleftcorner[0]) // span)
    row = int((matrix.topleftcorner[1] - y) // span)
    for layer in ("hydrants", "operational-picture"):
        tile = wmts.gettile(layer=layer, tilematrixset=tms, tilematrix=str(z), row=row, column=col, format="image/png")
        data = tile.read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", (layer, tms, data[:200])
        print(f"tile {layer} {tms} {z}/{row}/{col}: {len(data)} bytes")

# GDAL's WMTS driver, with the token as a header.
env = dict(os.environ, GDAL_HTTP_HEADERS=f"Authorization: Bearer {token}", CPL_VSIL_CURL_USE_HEAD="NO", GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR",
           GDAL_ENABLE_WMS_CACHE="NO")
for tms in ("WebMercatorQuad", "NetherlandsRDNewQuad"):
    out = subprocess.run(["gdalinfo", f"WMTS:{base}/wmts/1.0.0/WMTSCapabilities.xml,layer=hydrants,tilematrixset={tms}"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Driver: WMTS" in out.stdout, out.stdout
    print(f"gdalinfo {tms}:", [l for l in out.stdout.splitlines() if l.startswith("Size is") or "EPSG" in l][:2])
# HTTP Basic with the token as the password, as QGIS and ArcGIS keep a stored login: OWSLib reads
# the same capabilities; GDAL fetches tiles with GDAL_HTTP_AUTH=BASIC; a wrong password is refused.
basic = WebMapTileService(f"{base}/wmts?SERVICE=WMTS&REQUEST=GetCapabilities", version="1.0.0", username="qgis", password=token)
assert sorted(basic.contents) == layers, sorted(basic.contents)
with tempfile.TemporaryDirectory() as tmp:
    for password, ok in ((token, True), (token[:-4] + "AAAA", False)):
        # No tile cache on disk: the refused login must fetch, not read yesterday's tiles.
        env = dict(os.environ, GDAL_HTTP_AUTH="BASIC", GDAL_HTTP_USERPWD=f"qgis:{password}", CPL_VSIL_CURL_USE_HEAD="NO",
                   GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", GDAL_ENABLE_WMS_CACHE="NO")
        out = subprocess.run(["gdal_translate", "-of", "PNG", "-outsize", "64", "64",
                              f"WMTS:{base}/wmts/1.0.0/WMTSCapabilities.xml,layer=hydrants,tilematrixset=WebMercatorQuad",
                              os.path.join(tmp, "basic.png")], env=env, capture_output=True, text=True, timeout=120)
        assert (out.returncode == 0) == ok, (password == token, out.returncode, out.stderr[-500:])
        print("gdal_translate with Basic:", "read" if out.returncode == 0 else "refused")
print("ok")
