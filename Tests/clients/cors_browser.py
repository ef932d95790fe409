"""A partner's own MapLibre page on another origin, in headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium): served from http://127.0.0.1:PORT (an allowed origin) it
draws the layer through the service's tiles with the token in an Authorization header (so every
tile fetch is preflighted), without console errors; the same page from http://localhost:PORT
(another origin) gets no tile and the browser reports the CORS refusal. Run by the Swift
end-to-end tests (CrossOriginTests): cors_browser.py BASE_URL TOKEN PORT MAPLIBRE_DIR LAYER."""
import functools
import http.server
import shutil
import sys
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

base, token, port, maplibre, layer = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]

page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>partner map</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="maplibre-gl.css"><script src="maplibre-gl.js"></script>
<style>html, body, #map {{ margin: 0; width: 100%; height: 100%; }}</style></head>
<body><div id="map"></div><script>
window.mapErrors = [];
const map = new maplibregl.Map({{
  container: "map", center: [5.12, 52.09], zoom: 10, fadeDuration: 0,
  style: {{
    version: 8,
    sources: {{ h: {{ type: "vector", tiles: ["{base}/collections/{layer}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"], minzoom: 0, maxzoom: 14 }} }},
    layers: [
      {{ id: "bg", type: "background", paint: {{ "background-color": "#ffffff" }} }},
      {{ id: "h", type: "circle", source: "h", "source-layer": "{layer}", paint: {{ "circle-color": "#ff0000", "circle-radius": 4 }} }}
    ]
  }},
  transformRequest: (url) => ({{ url, headers: {{ Authorization: "Bearer {token}" }} }})
}});
map.on("error", (e) => window.mapErrors.push(String((e.error && e.error.message) || e)));
</script></body></html>"""

root = tempfile.mkdtemp(prefix="cors-page-")
with open(f"{root}/index.html", "w") as f:
    f.write(page)
for name in ["maplibre-gl.js", "maplibre-gl.css"]:
    shutil.copy(f"{maplibre}/{name}", root)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=root))
threading.Thread(target=server.serve_forever, daemon=True).start()

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--use-angle=swiftshader",
          "--enable-unsafe-swiftshader", "--window-size=800,600"]:
    options.add_argument(a)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def visit(origin):
    driver.get(f"{origin}/index.html")
    deadline = time.time() + 90
    while time.time() < deadline:
        ready = driver.execute_script("return typeof map !== 'undefined' && map.loaded() && map.areTilesLoaded()")
        if ready:
            break
        time.sleep(0.25)
    time.sleep(0.5)
    found = driver.execute_script("return map.querySourceFeatures('h', {sourceLayer: %r}).length" % layer)
    drawn = driver.execute_script("return map.queryRenderedFeatures({layers: ['h']}).length")
    errors = driver.execute_script("return window.mapErrors")
    console = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return found, drawn, errors, console


try:
    found, drawn, errors, console = visit(f"http://127.0.0.1:{port}")
    print(f"allowed origin: {found} features in tiles, {drawn} drawn, map errors {errors}, console errors {console}")
    assert found > 0 and drawn > 0, "the allowed origin's map drew nothing"
    assert not errors and not console, "errors on the allowed origin"
    found, drawn, errors, console = visit(f"http://localhost:{port}")
    print(f"other origin: {found} features, {drawn} drawn, {len(errors)} map errors, console: {console[:2]}")
    assert found == 0 and drawn == 0, "another origin's page read tiles"
    assert any("CORS" in c or "Access-Control-Allow-Origin" in c for c in console), "no CORS refusal reported"
finally:
    driver.quit()
    server.shutdown()
    shutil.rmtree(root, ignore_errors=True)
print("ok")
