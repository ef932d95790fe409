"""The viewer as a person uses it, in headless Chromium (Debian's, driven by Selenium): sign in
by pasting a token; the layer list equals what /collections gives that member; a layer it may not
see appears nowhere (list, the page, the map's requests); clicking a feature shows its attributes
(only the visible ones); a wrong token gets the sign-in message; sign-out forgets the token; no
console errors. Run by the Swift end-to-end tests (ViewerTests):
viewer_browser.py BASE_URL USER=TOKEN... --hidden LAYER."""
import json
import sys
import time

import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

args = sys.argv[1:]
base = args.pop(0)
hidden = args[args.index("--hidden") + 1]
members = [a.split("=", 1) for a in args if "=" in a and not a.startswith("--")]

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--use-angle=swiftshader",
          "--enable-unsafe-swiftshader", "--window-size=1366,768"]:
    options.add_argument(a)
options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(condition, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.25)
    state = driver.execute_script("return [document.querySelectorAll('#layers li').length, document.getElementById('signin').hidden, document.getElementById('signin-message').textContent, location.href]")
    raise AssertionError(f"timed out waiting for: {condition}; page: {state}; console: {driver.get_log('browser')}")


def requested_urls():
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def severe():
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


try:
    # A wrong token: the sign-in message, nothing kept.
    driver.get(f"{base}/viewer")
    wait("return document.getElementById('token') !== null")
    driver.find_element(By.ID, "token").send_keys("lst_000000000000.wrong")
    driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    wait("return document.getElementById('signin-message').textContent.length > 0")
    assert driver.execute_script("return sessionStorage.getItem('layerserver.token')") is None
    driver.get_log("browser")  # the 401 of the wrong token is expected: not a console error of the page

    for user, token in members:
        expected = sorted(c["id"] for c in requests.get(f"{base}/collections", headers={"Authorization": f"Bearer {token}"}, timeout=60).json()["collections"])
        driver.get(f"{base}/viewer")
        wait("return document.getElementById('token') !== null")
        driver.get_log("performance")
        field = driver.find_element(By.ID, "token")
        assert field.get_attribute("value") == "", f"the sign-in field still holds a token before {user}"
        field.send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        count = len(expected)
        wait(f"return document.querySelectorAll('#layers li').length === {count}")
        wait("return document.querySelector('#map canvas') !== null")
        listed = sorted(driver.execute_script("return [...document.querySelectorAll('#layers li')].map(li => li.dataset.layer)"))
        assert listed == expected, f"{user}: listed {listed}, /collections {expected}"
        # The map settles (every tile loaded).
        wait("return document.getElementById('map').querySelector('canvas') && window.maplibregl !== undefined", 30)
        time.sleep(3)
        page = driver.page_source
        urls = requested_urls()
        if hidden not in expected:
            assert f'data-layer="{hidden}"' not in page, f"{user} sees {hidden} in the page"
            assert not any(f"/collections/{hidden}" in u for u in urls), f"{user}'s page asked for {hidden}"
        assert not any("access=" in u for u in urls), f"{user}'s page used signed URLs"
        # Click a drawn point: its attributes, only those the member may see (its queryables).
        attributes, found = [], ["-", "-", "nothing"]
        if expected:
            found = wait("""const m = state.map; if (!m || !m.loaded() || !m.areTilesLoaded()) return null;
                const f = m.queryRenderedFeatures().find(f => f.layer.type === 'circle');
                if (!f) return null; const p = m.project(f.geometry.coordinates); return [p.x, p.y, f.source.replace(/^l:/, '')];""")
            canvas = driver.find_element(By.CSS_SELECTOR, "#map canvas")
            ActionChains(driver).move_to_element_with_offset(canvas, int(found[0] - canvas.size["width"] / 2), int(found[1] - canvas.size["height"] / 2)).click().perform()
            wait("return document.querySelector('#feature table') !== null")
            shown = driver.execute_script("return [...document.querySelectorAll('#feature th')].map(th => th.textContent)")
            queryables = set(requests.get(f"{base}/collections/{found[2]}/queryables", headers={"Authorization": f"Bearer {token}"}, timeout=60).json()["properties"])
            attributes = shown[3:]
            assert attributes and set(attributes) <= queryables | {"version"}, f"{user}: shown {attributes}, visible {sorted(queryables)}"
        errors = severe()
        assert not errors, f"{user}: console errors {errors}"
        print(f"{user}: {len(listed)} layers as /collections; {len(urls)} requests; clicked a feature of {found[2]} ({len(attributes)} attributes); no console errors")
        # Sign out: back to sign-in, token forgotten.
        driver.find_element(By.ID, "signout").click()
        wait("return !document.getElementById('signin').hidden")
        assert driver.execute_script("return sessionStorage.getItem('layerserver.token')") is None
        assert driver.execute_script("return document.querySelector('#feature table') === null"), f"{user}'s feature stays on screen after sign-out"
finally:
    driver.quit()
print("ok")
