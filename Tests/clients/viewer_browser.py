"""The viewer as people use it, in headless Chromium (Debian's, driven by Selenium). Run by the
Swift end-to-end tests (ViewerTests) on a demo world of their own:
viewer_browser.py BASE_URL USER=TOKEN... --hidden LAYER --reference PNG [--update-reference]

1. Members sign in by pasting a token: the layer list equals /collections; a layer a member may
   not see appears nowhere (list, page, the map's requests); a click shows the attributes of its
   view; sign-out forgets the token; a wrong token gets the sign-in message.
2. A sign-in link (token in the fragment) signs in after confirming whom as, and leaves no token
   in the address bar; another member's link in an open tab asks first (cancel keeps the session); a
   token revoked while the page is open leads back to sign-in with a message.
3. A screenshot of a known view differs from the committed reference by less than the tolerance.
4. Laptop and tablet sizes, the language switch, and the keyboard (layer list, the dialog).
5. The risk picture: an information manager accepts and rejects (dialog) pending contributions;
   a version published meanwhile appears without reloading within 2 s, with a notice.
6. Uploads from the page: a refused file with its reason; a dropped file staged, its report,
   discarded; a chosen file staged and published; a structureel partner's staged layer published
   by the information manager.
7. View as: for two organisations, the listed layers and outlined areas equal what
   /access/matrix and /access/areas say; no request of the reviewer's page returns layer data.
No console errors in any of these."""
import base64
import io
import json
import sys
import tempfile
import time

import requests
from PIL import Image, ImageChops
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

args = sys.argv[1:]
base = args.pop(0)
hidden = args[args.index("--hidden") + 1]
reference = args[args.index("--reference") + 1]
update_reference = "--update-reference" in args
members = dict(a.split("=", 1) for a in args if "=" in a and not a.startswith("--"))
# A screenshot differs from the reference in at most this share of pixels (by more than 48 of 255 in a channel).
TOLERANCE = 0.0025

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--use-angle=swiftshader",
          "--enable-unsafe-swiftshader", "--window-size=1366,768", "--lang=nl-NL", "--force-device-scale-factor=1"]:
    options.add_argument(a)
options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def api(path, user, method="GET", **kw):
    r = requests.request(method, f"{base}{path}", headers={"Authorization": f"Bearer {members[user]}", **kw.pop("headers", {})}, timeout=60, **kw)
    return r


def wait(condition, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.1)
    state = driver.execute_script("return [document.querySelectorAll('#layers li').length, document.getElementById('signin').hidden, document.getElementById('signin-message').textContent, location.href, document.getElementById('pending').innerHTML.slice(0, 500), document.getElementById('notice').textContent]")
    raise AssertionError(f"timed out waiting for: {condition}; page: {state}; console: {driver.get_log('browser')}")


def network():
    """(url, status) of the responses since the last call, and every requested URL."""
    urls, responses = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.responseReceived":
            responses.append((message["params"]["response"]["url"], message["params"]["response"]["status"]))
    return urls, responses


def no_console_errors(who):
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{who}: console errors {errors}"


def sign_in_with_link(user):
    driver.get(f"{base}/viewer#token={members[user]}")
    wait("return !document.getElementById('confirm').hidden && document.getElementById('confirm-text').textContent.length > 0")
    assert "#token" not in driver.current_url, f"the token stays in the address bar: {driver.current_url}"
    assert driver.switch_to.active_element.get_attribute("id") == "confirm-no", "the prompt's focus is not on cancel"
    wait("return !document.getElementById('confirm-yes').disabled")
    driver.find_element(By.ID, "confirm-yes").click()
    wait("return window.viewer && window.viewer.ready === true")


def sign_out():
    driver.find_element(By.ID, "signout").click()
    wait("return !document.getElementById('signin').hidden")
    assert driver.execute_script("return sessionStorage.getItem('layerserver.token')") is None


def settled():
    wait("const m = window.viewer.map; return m && m.loaded() && m.areTilesLoaded() && !m.isMoving()")
    time.sleep(1)
    wait("const m = window.viewer.map; return m && m.loaded() && m.areTilesLoaded() && !m.isMoving()")


try:
    # 1. A wrong token: the sign-in message, nothing kept.
    driver.get(f"{base}/viewer")
    wait("return document.getElementById('token') !== null")
    driver.find_element(By.ID, "token").send_keys("lst_000000000000.wrong")
    driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
    wait("return document.getElementById('signin-message').textContent.length > 0")
    assert driver.execute_script("return sessionStorage.getItem('layerserver.token')") is None
    driver.get_log("browser")  # the 401 of the wrong token is expected: not a console error of the page

    for user in ["im-utrecht", "hdsr-editor", "standby-viewer", "adhoc-viewer"]:
        token = members[user]
        expected = sorted(c["id"] for c in api("/collections", user).json()["collections"])
        driver.get(f"{base}/viewer")
        wait("return document.getElementById('token') !== null")
        network()
        field = driver.find_element(By.ID, "token")
        assert field.get_attribute("value") == "", f"the sign-in field still holds a token before {user}"
        field.send_keys(token)
        driver.find_element(By.CSS_SELECTOR, "#signin-form button").click()
        wait("return window.viewer.ready === true")
        listed = sorted(driver.execute_script("return [...document.querySelectorAll('#layers li')].map(li => li.dataset.layer)"))
        assert listed == expected, f"{user}: listed {listed}, /collections {expected}"
        settled()
        page = driver.page_source
        urls, _ = network()
        if hidden not in expected:
            assert f'data-layer="{hidden}"' not in page and hidden not in driver.find_element(By.TAG_NAME, "body").text, f"{user} sees {hidden} in the page"
            assert not any(f"/collections/{hidden}" in u for u in urls), f"{user}'s page asked for {hidden}"
        assert not any("access=" in u for u in urls), f"{user}'s page used signed URLs"
        # Click a drawn point of a partner layer: its attributes, only those the member may see (its queryables).
        attributes, found = [], ["-", "-", "nothing"]
        if expected:
            found = wait("""const m = window.viewer.map;
                const f = m.queryRenderedFeatures().find(f => f.layer.type === 'circle' && f.source.startsWith('l:'));
                if (!f) return null; const p = m.project(f.geometry.coordinates); return [p.x, p.y, f.source.replace(/^l:/, '')];""")
            canvas = driver.find_element(By.CSS_SELECTOR, "#map canvas")
            ActionChains(driver).move_to_element_with_offset(canvas, int(found[0] - canvas.size["width"] / 2), int(found[1] - canvas.size["height"] / 2)).click().perform()
            wait("return document.querySelector('#feature table') !== null")
            shown = driver.execute_script("return [...document.querySelectorAll('#feature th')].map(th => th.textContent)")
            queryables = set(api(f"/collections/{found[2]}/queryables", user).json()["properties"])
            attributes = shown[4:]  # after layer, owner, version, sensitivity
            assert attributes and set(attributes) <= queryables | {"version"}, f"{user}: shown {attributes}, visible {sorted(queryables)}"
        areas = driver.execute_script("return Number(document.getElementById('area-note').dataset.areas)")
        limited = [l for l in api("/me", user).json()["layers"] if not l["everywhere"]]
        assert (areas > 0) == bool(limited), f"{user}: {areas} outlined areas, {len(limited)} limited layers"
        no_console_errors(user)
        print(f"{user}: {len(listed)} layers as /collections; {len(urls)} requests; clicked a feature of {found[2]} ({len(attributes)} attributes); {areas} area outline(s)")
        sign_out()
        assert driver.execute_script("return document.querySelector('#feature table') === null"), f"{user}'s feature stays on screen after sign-out"

    # 2. A sign-in link.
    sign_in_with_link("standby-viewer")
    assert driver.execute_script("return sessionStorage.getItem('layerserver.token')") == members["standby-viewer"]
    who = driver.find_element(By.ID, "who").text
    assert "De Waard" in who, f"signed in as {who}"
    # Another member's link in the open tab asks first; cancelled, the session stays as it was.
    driver.get(f"{base}/viewer#token={members['hdsr-editor']}")
    wait("return !document.getElementById('confirm').hidden && document.getElementById('confirm-text').textContent.includes('Waterschap HDSR [hdsr-editor]')")
    assert "[standby-viewer]" in driver.find_element(By.ID, "confirm-text").text, "the prompt does not say who is signed out"
    driver.find_element(By.ID, "confirm-no").click()
    wait("return !document.getElementById('app').hidden")
    assert driver.execute_script("return sessionStorage.getItem('layerserver.token')") == members["standby-viewer"]
    assert driver.find_element(By.ID, "who").text == who
    sign_out()
    # A token revoked while its page is open: back to sign-in with the message (the event stream
    # ends when access lapses; the page's next request gets the 401).
    sign_in_with_link("stedin-viewer")
    token_id = members["stedin-viewer"].split(".")[0].removeprefix("lst_")
    assert api(f"/admin/tokens/{token_id}", "admin", "DELETE").status_code in (200, 204)
    started = time.time()
    wait("return !document.getElementById('signin').hidden && document.getElementById('signin-message').textContent.length > 0", 30)
    message = driver.find_element(By.ID, "signin-message").text
    assert "verlopen of ingetrokken" in message and driver.execute_script("return sessionStorage.getItem('layerserver.token')") is None, message
    # The revoked token's 401 is expected; nothing else (no uncaught error of work cut short).
    other = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "401" not in e["message"]]
    assert not other, f"console errors after the revocation: {other}"
    print(f"sign-in link: signed in, token gone from the address bar; a revoked token led back to sign-in in {time.time() - started:.1f} s: \"{message}\"")

    # 3. A known view against the committed reference.
    sign_in_with_link("im-utrecht")
    driver.execute_script("window.viewer.map.jumpTo({center: [5.02, 51.99], zoom: 10.5})")
    settled()
    shot = Image.open(io.BytesIO(driver.find_element(By.ID, "map").screenshot_as_png)).convert("RGB")
    if update_reference:
        shot.save(reference)
        print(f"reference written: {reference}")
    ref = Image.open(reference).convert("RGB")
    assert ref.size == shot.size, f"screenshot {shot.size}, reference {ref.size}"
    diff = ImageChops.difference(ref, shot).getdata()
    off = sum(1 for px in diff if max(px) > 48) / (shot.size[0] * shot.size[1])
    if off >= TOLERANCE:
        shot.save(reference.replace(".png", ".actual.png"))
    assert off < TOLERANCE, f"the view differs from {reference} in {off:.2%} of its pixels (tolerance {TOLERANCE:.2%}); this run's image: .actual.png beside it"
    print(f"screenshot: {off:.3%} of pixels differ from the reference (tolerance {TOLERANCE:.2%})")

    # 4. Sizes, language, keyboard.
    for width, height in [(1366, 768), (1024, 768), (768, 1024)]:
        driver.set_window_size(width, height)
        time.sleep(0.5)
        m = driver.find_element(By.ID, "map").size
        p = driver.find_element(By.ID, "panel").size
        assert m["width"] >= 300 and m["height"] >= 300 and p["width"] >= 250 and p["height"] >= 150, f"{width}x{height}: map {m}, panel {p}"
    driver.set_window_size(1366, 768)
    Select(driver.find_element(By.ID, "language")).select_by_value("en")
    assert driver.find_element(By.ID, "layers-title").text == "Layers"
    Select(driver.find_element(By.ID, "language")).select_by_value("nl")
    assert driver.find_element(By.ID, "layers-title").text == "Kaartlagen"
    box = driver.find_element(By.CSS_SELECTOR, "#layers li[data-layer=hydrants] input")
    box.send_keys(Keys.SPACE)
    assert driver.execute_script("return window.viewer.map.getLayoutProperty('l:hydrants/hydrants-dot', 'visibility')") == "none"
    box.send_keys(Keys.SPACE)
    assert driver.execute_script("return window.viewer.map.getLayoutProperty('l:hydrants/hydrants-dot', 'visibility')") == "visible"
    no_console_errors("sizes and keyboard")
    print("1366x768, 1024x768 and 768x1024 lay out; the language switch and the layer list work from the keyboard")

    # 5. The risk picture: pending contributions, then a publication arrives live.
    def threat(headline):
        return json.dumps({"type": "threat", "hazard": "high-water", "headline": headline, "severity": "Moderate", "urgency": "Expected",
                           "certainty": "Likely", "likelihood": 0.3, "expectedEffects": "Kades onder water",
                           "area": {"crs": "EPSG:28992", "circles": [{"center": [136000, 443500], "radiusMetres": 3000}]},
                           "validFrom": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))})
    ids = []
    for headline in ["Kwel Lopikerwaard", "Hoogwater Nederrijn"]:
        r = api("/pictures/VR09/contributions", "hdsr-editor", "POST", data=threat(headline), headers={"Content-Type": "application/json"})
        assert r.status_code in (200, 201), r.text
        ids.append(r.json()["id"])
    sign_out()
    sign_in_with_link("im-utrecht")
    wait(f"return document.querySelector('#pending li[data-item=\"{ids[0]}\"] button[data-action=accept]') !== null")
    driver.find_element(By.CSS_SELECTOR, f'#pending li[data-item="{ids[0]}"] button[data-action=accept]').click()
    wait(f"return document.querySelector('#pending li[data-item=\"{ids[0]}\"][data-state=accepted]') !== null")
    # Reject the other with the keyboard: the dialog takes the reason; Tab to "reject", Enter.
    driver.find_element(By.CSS_SELECTOR, f'#pending li[data-item="{ids[1]}"] button[data-action=reject]').click()
    wait("return document.getElementById('reason-dialog').open")
    reason = driver.find_element(By.ID, "reason")
    reason.send_keys("dubbel gemeld")
    ActionChains(driver).send_keys(Keys.TAB, Keys.TAB, Keys.ENTER).perform()
    wait("return !document.getElementById('reason-dialog').open")
    wait(f"return document.querySelector('#pending li[data-item=\"{ids[1]}\"]') === null")
    assert api(f"/pictures/VR09/contributions/{ids[1]}", "im-utrecht").json()["state"] == "rejected"
    wait("return document.querySelector('#pending button[data-action=publishPicture]') !== null")
    before = int(driver.execute_script("return document.querySelector('#picture-list .picture-head[data-region=VR09]').dataset.version"))
    driver.execute_script("window.notReloaded = true")
    started = time.time()
    r = api("/pictures/VR09/versions", "im-utrecht", "POST", data="{}", headers={"Content-Type": "application/json"})
    assert r.status_code in (200, 201), r.text
    wait(f"return document.querySelector('#picture-list .picture-head[data-region=VR09][data-version=\"{before + 1}\"]') !== null"
         " && !document.getElementById('notice').hidden", 2)
    elapsed = time.time() - started
    assert driver.execute_script("return window.notReloaded === true"), "the page reloaded"
    assert "Kwel Lopikerwaard" in driver.find_element(By.ID, "picture-list").text
    assert "Hoogwater Nederrijn" not in driver.find_element(By.ID, "picture-list").text
    # The time slider, from the keyboard: its positions are the publications; a step back shows
    # the picture as the API gives it for that moment; the end is live again.
    slider = driver.find_element(By.ID, "picture-slider")
    shown = []
    for steps in [1, 1]:
        slider.send_keys(*([Keys.LEFT] * steps))
        wait("return window.viewer.picture.at !== null")
        time.sleep(1)
        at = driver.execute_script("return window.viewer.picture.at.toISOString()")
        then = api(f"/pictures/VR09?at={at}", "im-utrecht")
        version = driver.execute_script("const h = document.querySelector('#picture-list .picture-head[data-region=VR09]'); return h ? Number(h.dataset.version) : null")
        assert version == (then.json()["version"] if then.status_code == 200 else None), f"as of {at}: page shows version {version}, the API {then.status_code}"
        shown.append(f"{at}: {version}")
    assert shown[-1].endswith(f": {before}") or shown[-1].endswith(f": {before - 1}"), f"the slider's earlier moments show {shown}"
    slider.send_keys(Keys.END)
    wait(f"return window.viewer.picture.at === null && document.querySelector('#picture-list .picture-head[data-region=VR09][data-version=\"{before + 1}\"]') !== null")
    no_console_errors("risk picture")
    print(f"risk picture: accepted and rejected (dialog, keyboard) in the page; version {before + 1} shown {elapsed:.2f} s after publication, with a notice; slider {shown}, then live")
    sign_out()

    # 6. An upload from the page: the owner's layer, staged, its report, published.
    with tempfile.NamedTemporaryFile(suffix=".gpkg", delete=False) as f:
        f.write(api("/collections/water_facilities/items?f=gpkg", "vitens-editor").content)
        upload = f.name
    version = api("/collections/water_facilities", "vitens-editor").json()["currentVersion"]
    sign_in_with_link("vitens-editor")
    wait("return !document.getElementById('upload-section').hidden")
    Select(driver.find_element(By.ID, "upload-layer")).select_by_value("water_facilities")

    def drop(name, data):
        driver.execute_script("""const bytes = Uint8Array.from(atob(arguments[1]), c => c.charCodeAt(0));
            const transfer = new DataTransfer(); transfer.items.add(new File([bytes], arguments[0]));
            document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));""",
                              name, base64.b64encode(data).decode())

    # A file dropped on the page that cannot be imported: the job's report gives the reason.
    outside = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Point", "coordinates": [13.4, 52.5]}}]}
    drop("outside.geojson", json.dumps(outside).encode())
    wait("return document.getElementById('upload-report').dataset.state === 'failed'", 60)
    report = driver.find_element(By.ID, "upload-report").text
    assert "outside-netherlands" in report and "lies outside the Netherlands" in report, report
    no_console_errors("refused upload")
    # Dropped, staged, its report, discarded: the layer keeps its version.
    with open(upload, "rb") as f:
        drop("water_facilities.gpkg", f.read())
    wait("return document.getElementById('upload-report').dataset.state === 'staged'", 60)
    driver.find_element(By.CSS_SELECTOR, "#upload-report button[data-action=discard]").click()
    wait("return document.getElementById('upload-report').dataset.state === 'discarded'")
    assert api("/collections/water_facilities", "vitens-editor").json()["currentVersion"] == version
    # Chosen with the file input, staged, published.
    driver.find_element(By.ID, "upload-file").send_keys(upload)
    wait("return document.getElementById('upload-report').dataset.state === 'staged'", 60)
    report = driver.find_element(By.ID, "upload-report").text
    job = api("/jobs", "vitens-editor").json()["jobs"][0]
    written = job["report"]["featuresWritten"]
    assert str(written) in report and "Objecten geschreven" in report, report
    driver.find_element(By.CSS_SELECTOR, "#upload-report button[data-action=publish]").click()
    wait("return document.getElementById('upload-report').dataset.state === 'published'")
    now = api("/collections/water_facilities", "vitens-editor").json()["currentVersion"]
    assert now == job["version"] > version, f"version {version} -> {now}, the job's {job['version']} (a discarded number is not reused)"
    no_console_errors("upload")
    sign_out()
    # A structureel partner's upload waits for the information manager, who publishes it from the page.
    dikes = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Lekdijk km 12"}, "geometry": {"type": "Point", "coordinates": [5.08, 51.98]}}]}
    r = api("/collections/hdsr_dikes/versions?filename=dikes.geojson&wait=true&sensitivity=restricted&title=Dijkposten", "hdsr-editor", "POST", data=json.dumps(dikes))
    assert r.status_code in (200, 201, 202) and r.json()["state"] == "staged", r.text
    waiting = r.json()["id"]
    sign_in_with_link("im-utrecht")
    wait(f"return document.querySelector('#staged li[data-job=\"{waiting}\"] button[data-action=publish]') !== null")
    assert "wacht op uw goedkeuring" in driver.find_element(By.ID, "staged").text
    driver.find_element(By.CSS_SELECTOR, f'#staged li[data-job="{waiting}"] button[data-action=publish]').click()
    wait(f"return document.querySelector('#staged li[data-job=\"{waiting}\"]') === null")
    assert api("/collections/hdsr_dikes", "im-utrecht").json()["currentVersion"] == 1
    no_console_errors("approval")
    print(f"upload: a file outside the Netherlands refused with the reason; a dropped file staged and discarded; a chosen file staged ({written} features written) and published as version {now}; HDSR's staged layer published by the information manager from the page")
    sign_out()

    # 7. View as, for a security reviewer.
    network()
    sign_in_with_link("reviewer")
    wait("return document.querySelectorAll('#viewas-organisation option').length > 0")
    matrix = api("/access/matrix", "reviewer").json()["entries"]
    outlines = {}
    for organisation in ["dewaard", "hdsr"]:
        Select(driver.find_element(By.ID, "viewas-organisation")).select_by_value(organisation)
        driver.find_element(By.CSS_SELECTOR, "#viewas-form button").click()
        wait(f"return window.viewer.viewAs.answer && window.viewer.viewAs.answer.organisation === '{organisation}' && document.querySelector('#viewas-layers li') !== null")
        shown = driver.execute_script("return Object.fromEntries([...document.querySelectorAll('#viewas-layers li[data-layer]')].map(li => [li.dataset.layer, li.dataset.scope]))")
        expected = {e["layer"]: e["scope"] for e in matrix if e["organisation"] == organisation and e["access"] != "none"}
        assert shown == expected, f"view as {organisation}: page {shown}, matrix {expected}"
        areas = {l["layer"]: l["area"] for l in api(f"/access/areas?organisation={organisation}", "reviewer").json()["layers"] if l["access"] != "none"}
        drawn = driver.execute_script("return window.viewer.map.getSource('viewas').serialize().data.features.map(f => [f.properties.layer, f.geometry])")
        assert {k: v for k, v in drawn} == {k: v for k, v in areas.items() if v is not None}, f"view as {organisation}: outlines differ from /access/areas"
        outlines[organisation] = json.dumps(sorted(drawn), sort_keys=True)
    assert outlines["dewaard"] != outlines["hdsr"], "the two organisations' areas should differ"
    # And at a moment: eight days on, the exercise is over and the standby contractor reads nothing.
    later = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 8 * 86400))
    Select(driver.find_element(By.ID, "viewas-organisation")).select_by_value("dewaard")
    driver.execute_script("document.getElementById('viewas-at').value = arguments[0]", later)
    driver.find_element(By.CSS_SELECTOR, "#viewas-form button").click()
    wait("return window.viewer.viewAs.answer.organisation === 'dewaard' && window.viewer.viewAs.answer.at > new Date(Date.now() + 7 * 86400000).toISOString()")
    at = driver.execute_script("return window.viewer.viewAs.answer.at")
    expected = sorted(l["layer"] for l in api(f"/access/areas?organisation=dewaard&at={at}", "reviewer").json()["layers"] if l["access"] != "none")
    shown = driver.execute_script("return [...document.querySelectorAll('#viewas-layers li[data-layer]')].map(li => li.dataset.layer)")
    assert expected == [] and shown == [] and driver.execute_script("return window.viewer.map.getSource('viewas').serialize().data.features.length") == 0, f"after the exercise: {shown}, {expected}"
    _, responses = network()
    data = [(u, s) for u, s in responses if ("/tiles/" in u or "/items" in u or "/pictures/" in u) and "/pictures/events" not in u and s == 200]
    assert not data, f"the reviewer's page got layer data: {data}"
    listing = [u for u, s in responses if u.endswith("/collections")]
    assert api("/collections", "reviewer").json()["collections"] == [], "a reviewer reads no layers"
    no_console_errors("view as")
    print(f"view as: dewaard and hdsr listed as the matrix says, areas as /access/areas; dewaard after the exercise reads nothing; {len(responses)} responses, none with layer data ({len(listing)} empty listing)")
    sign_out()
finally:
    driver.quit()
print("ok")
