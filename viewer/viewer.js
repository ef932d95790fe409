// The viewer's core: sign-in with a token, the caller's layers as vector tiles on a Web
// Mercator map (the service's style where it has one, else a style per geometry type), the
// caller's read area outlined, and the attributes of a clicked feature. Plain JavaScript; the
// texts are in i18n.js; picture.js, upload.js and viewas.js add the other panels.
"use strict";

const TOKEN_KEY = "layerserver.token";
const LANGUAGE_KEY = "layerserver.language";
// Colours of layers without a style of their own (and of the view-as outlines).
const PALETTE = ["#d7301f", "#2b8cbe", "#31a354", "#756bb1", "#e6550d", "#636363", "#dd3497", "#8c6d31"];
const STYLE = "operational-picture";

// Everything the page knows; `window.viewer` lets the browser tests look (never a token).
const V = window.viewer = {
  language: localStorage.getItem(LANGUAGE_KEY) || "nl",
  map: null, me: null, collections: [], generation: 0,
  panels: [], // modules: { start(me), stop(), texts() }
  palette: PALETTE,
};

function t(key) { return (TEXTS[V.language] || TEXTS.nl)[key] || TEXTS.en[key] || key; }
V.t = t;

function applyTexts() {
  document.documentElement.lang = V.language;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
  for (const el of document.querySelectorAll("[data-label]")) el.setAttribute("aria-label", t(el.dataset.label));
  document.title = t("title");
  document.getElementById("language").value = V.language;
  for (const p of V.panels) if (p.texts) p.texts();
}

function token() { return sessionStorage.getItem(TOKEN_KEY); }

// A request with the caller's token; a refused token leads back to sign-in.
// Documents are revalidated (the page shows a live picture; the browser's cache may hold an
// answer up to its max-age).
V.api = async function api(path, init = {}) {
  const response = await fetch(path, { cache: "no-cache", ...init, headers: { ...(init.headers || {}), Authorization: "Bearer " + token() } });
  if (response.status === 401) {
    signOut("expired");
    const e = new Error("signed out");
    e.signedOut = true;
    throw e;
  }
  return response;
};
V.authorization = () => "Bearer " + token();

// An element with text and attributes.
V.el = function el(tag, text, attributes = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attributes)) {
    if (k === "class") e.className = v; else if (k.startsWith("data-")) e.setAttribute(k, v); else e[k] = v;
  }
  return e;
};

V.table = function table(rows) {
  const tbl = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = tbl.insertRow();
    tr.append(V.el("th", k, { scope: "row" }));
    tr.insertCell().textContent = v === null || v === undefined ? "" : String(v);
  }
  return tbl;
};

V.time = (iso, seconds = false) => (iso ? new Date(iso).toLocaleString(V.language === "en" ? "en-GB" : "nl-NL", { dateStyle: "short", timeStyle: seconds ? "medium" : "short" }) : "");

// A short notice at the top of the panel ("updated", "published", errors).
V.notify = function notify(text, kind = "info") {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(V.noticeTimer);
  V.noticeTimer = setTimeout(() => { box.hidden = true; }, 8000);
};

// The message of a problem+json answer.
V.problem = async function problem(response) {
  try {
    const p = await response.json();
    return p.detail || p.title || String(response.status);
  } catch (e) {
    return String(response.status);
  }
};

function showSignIn(messageKey) {
  document.getElementById("app").hidden = true;
  document.getElementById("signout").hidden = true;
  document.getElementById("who").textContent = "";
  document.getElementById("signin").hidden = false;
  document.getElementById("signin-message").textContent = messageKey ? t(messageKey) : "";
  document.getElementById("token").focus();
}

function signOut(messageKey) {
  sessionStorage.removeItem(TOKEN_KEY);
  V.generation += 1;
  V.ready = false;
  document.getElementById("token").value = "";
  for (const p of V.panels) p.stop();
  if (V.map) { V.map.remove(); V.map = null; }
  V.me = null;
  V.collections = [];
  document.getElementById("layers").replaceChildren();
  document.getElementById("notice").hidden = true;
  document.getElementById("feature").replaceChildren(V.el("p", t("clickHelp")));
  showSignIn(messageKey);
}

// Each sign-in is a generation of its own: work of an earlier one (a double submit, a saved
// session resumed while a link is confirmed) stops at its next step.
async function signIn(secret) {
  V.generation += 1;
  const generation = V.generation;
  let response;
  try {
    response = await fetch("/me", { cache: "no-store", headers: { Authorization: "Bearer " + secret } });
  } catch (e) {
    if (generation === V.generation) showSignIn("unreachable");
    return;
  }
  if (generation !== V.generation) return;
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn("rejected");
    return;
  }
  if (!response.ok) {
    showSignIn("unreachable");
    return;
  }
  const me = await response.json();
  if (generation !== V.generation) return;
  sessionStorage.setItem(TOKEN_KEY, secret);
  document.getElementById("token").value = "";
  V.me = me;
  const listing = await V.api("/collections");
  const collections = listing.ok ? (await listing.json()).collections || [] : [];
  if (generation !== V.generation) return;
  V.collections = collections;
  document.getElementById("signin").hidden = true;
  document.getElementById("app").hidden = false;
  document.getElementById("signout").hidden = false;
  document.getElementById("who").textContent = t("signedInAs") + " " + describe(me);
  await showMap(generation);
  if (generation !== V.generation) return;
  for (const p of V.panels) {
    await p.start(me, generation);
    if (generation !== V.generation) return;
  }
  V.ready = true;
}

// Who a /me answer is: name and organisation with their ids (a display name alone can imitate another).
function describe(me) {
  const clean = (s) => String(s || "").replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "");
  return `${clean(me.name || me.user || "?")} [${clean(me.user)}]` + (me.organisation ? ` (${clean(me.organisationName)} [${clean(me.organisation)}])` : "");
}

function family(geometryType) {
  const g = (geometryType || "").toUpperCase();
  if (g.includes("POINT")) return "point";
  if (g.includes("LINE")) return "line";
  return "polygon";
}

// Map ids are prefixed: a partner's layer may be called "background".
V.mapID = (collection) => "l:" + collection.id;

function builtInLayers(collection, sourceLayer, color, open) {
  const id = V.mapID(collection);
  const base = { source: id, "source-layer": sourceLayer };
  switch (family(collection.geometryType)) {
    case "point":
      return [{ ...base, id, type: "circle", paint: { "circle-color": color, "circle-radius": 4, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } }];
    case "line":
      return [{ ...base, id, type: "line", paint: { "line-color": color, "line-width": 2 } }];
    default:
      // An open area layer without a style of its own is part of the base map: grey outlines.
      if (open) return [{ ...base, id, type: "line", paint: { "line-color": "#8a8a8a", "line-width": 0.7 } }];
      return [
        { ...base, id, type: "fill", paint: { "fill-color": color, "fill-opacity": 0.15 } },
        { ...base, id: id + "--outline", type: "line", paint: { "line-color": color, "line-width": 1.5 } },
      ];
  }
}

// The service's style for the caller, when there is one: its layers per source and its legend.
async function serviceStyle() {
  const listing = await V.api("/styles");
  if (!listing.ok) return null;
  const styles = (await listing.json()).styles || [];
  if (!styles.some((s) => s.id === STYLE)) return null;
  const response = await V.api("/styles/" + STYLE);
  return response.ok ? response.json() : null;
}

// The service's absolute URLs on the page's own origin (the documents name the public URL,
// which may differ from the address the browser uses); templates kept as text: URL() would
// encode the braces.
function path(url) { return location.origin + url.replace(/^https?:\/\/[^/]+/, ""); }

// A tile URL template without its signature: tiles are asked with the token in a header (signed
// URLs expire after 15 minutes and would outlive a sign-out).
V.unsigned = (url) => path(url).replace(/([?&])access=[^&]*(&?)/, (m, sep, more) => (more ? sep : "")).replace(/[?&]$/, "");

async function showMap(generation) {
  const style = await serviceStyle().catch(() => null);
  if (generation !== V.generation) return;
  const map = new maplibregl.Map({
    container: "map", center: [5.2, 52.05], zoom: 8.5, fadeDuration: 0, attributionControl: false,
    style: {
      version: 8, sources: {},
      glyphs: style && style.glyphs ? path(style.glyphs) : undefined,
      sprite: style && style.sprite ? path(style.sprite) : undefined,
      layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }],
    },
    transformRequest: (url) => url.startsWith(location.origin + "/") && token()
      ? { url, headers: { Authorization: V.authorization() } }
      : { url },
  });
  map.on("error", (e) => {
    if (e.error && e.error.status === 401) signOut("expired");
    else if (e.error) console.warn("map:", e.error.message || e.error);
  });
  V.map = map;
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  await new Promise((resolve) => map.on("load", resolve));
  if (V.map !== map) return;
  const legend = new Map(((style && style.metadata && style.metadata["layerserver:legend"]) || []).map((e) => [e.layer, e.color]));
  const list = document.getElementById("layers");
  // Areas first, points last: points stay on top.
  const order = { polygon: 0, line: 1, point: 2 };
  const collections = [...V.collections].sort((a, b) => order[family(a.geometryType)] - order[family(b.geometryType)] || a.id.localeCompare(b.id));
  const symbols = [];
  for (const [i, collection] of collections.entries()) {
    const response = await V.api("/collections/" + encodeURIComponent(collection.id) + "/tiles/WebMercatorQuad/tilejson");
    if (!response.ok || V.map !== map) continue;
    const tilejson = await response.json();
    if (V.map !== map) return;
    const sourceLayer = (tilejson.vector_layers && tilejson.vector_layers[0] && tilejson.vector_layers[0].id) || collection.id;
    const source = { type: "vector", tiles: tilejson.tiles.map(V.unsigned), minzoom: tilejson.minzoom, maxzoom: tilejson.maxzoom };
    map.addSource(V.mapID(collection), source);
    const styled = style ? (style.layers || []).filter((l) => l.source === collection.id) : [];
    let layers, color;
    if (styled.length > 0) {
      layers = styled.map((l) => ({ ...l, id: V.mapID(collection) + "/" + l.id, source: V.mapID(collection), "source-layer": sourceLayer }));
      color = styled.map((l) => legend.get(l.id)).find((c) => c) || PALETTE[i % PALETTE.length];
    } else {
      color = collection.sensitivity === "open" && family(collection.geometryType) === "polygon" ? "#8a8a8a" : PALETTE[i % PALETTE.length];
      layers = builtInLayers(collection, sourceLayer, color, collection.sensitivity === "open");
    }
    for (const layer of layers) {
      if (layer.type === "symbol") symbols.push(layer); else map.addLayer(layer);
    }
    list.appendChild(layerItem(collection, layers.map((l) => l.id), color));
  }
  for (const layer of symbols) map.addLayer(layer); // labels and icons over every area
  showArea(map);
  map.on("click", (e) => inspect(e));
}

// The caller's read area, outlined: a clipped partner sees why it sees only part of a layer.
function showArea(map) {
  const features = [];
  const seen = new Map();
  for (const l of V.me.layers || []) {
    if (!l.area) continue;
    const key = JSON.stringify(l.area);
    if (seen.has(key)) { seen.get(key).properties.layers.push(l.layer); continue; }
    const f = { type: "Feature", geometry: l.area, properties: { layers: [l.layer], scope: l.scope } };
    seen.set(key, f);
    features.push(f);
  }
  for (const f of features) f.properties.layers = f.properties.layers.join(", ");
  map.addSource("caller-area", { type: "geojson", data: { type: "FeatureCollection", features } });
  map.addLayer({ id: "caller-area", type: "line", source: "caller-area", paint: { "line-color": "#154273", "line-width": 2.5, "line-dasharray": [3, 2] } });
  const note = document.getElementById("area-note");
  note.textContent = features.length === 0 ? t("areaEverywhere") : t("areaLimited");
  note.dataset.areas = String(features.length);
}

function layerItem(collection, ids, color) {
  const item = V.el("li", null, { "data-layer": collection.id });
  const box = V.el("input", null, { type: "checkbox", checked: true, id: "layer-" + collection.id });
  box.addEventListener("change", () => {
    for (const id of ids) V.map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
  });
  const swatch = V.el("span", null, { class: "swatch swatch-" + family(collection.geometryType) });
  swatch.style.setProperty("--swatch", color);
  const label = V.el("label", collection.title || collection.id, { htmlFor: box.id });
  const mine = (V.me.layers || []).find((l) => l.layer === collection.id);
  const scope = V.el("small", mine && !mine.everywhere ? t("onlyIn") + " " + mine.scope : t("everywhere"), { class: "scope" });
  item.append(box, swatch, label, scope);
  return item;
}

// The clicked feature: layer, owner, version and the attributes in the tile (only what the
// caller may see); a risk-picture item shows its own details.
function inspect(e) {
  const hits = V.map.queryRenderedFeatures(e.point);
  const panel = document.getElementById("feature");
  const risk = hits.find((f) => f.source === "risk");
  if (risk) { panel.replaceChildren(V.table(Object.entries(risk.properties))); return; }
  const ours = new Map(V.collections.map((c) => [V.mapID(c), c]));
  const hit = hits.find((f) => ours.has(f.source));
  if (!hit) { panel.replaceChildren(V.el("p", t("clickHelp"))); return; }
  const c = ours.get(hit.source);
  const rows = [[t("layer"), c.title || c.id], [t("owner"), c.owner], [t("version"), c.currentVersion], [t("sensitivity"), c.sensitivity]];
  for (const [k, v] of Object.entries(hit.properties)) rows.push([k, v]);
  panel.replaceChildren(V.table(rows));
}

// Refreshes a layer's tiles after a publication (the TileJSON names the new version).
V.reloadLayer = async function reloadLayer(id) {
  const source = V.map && V.map.getSource("l:" + id);
  if (!source) return;
  const response = await V.api("/collections/" + encodeURIComponent(id) + "/tiles/WebMercatorQuad/tilejson");
  if (!response.ok) return;
  const tilejson = await response.json();
  source.setTiles(tilejson.tiles.map(V.unsigned));
};

// A token in the link's fragment (the demo prints one per cast member): taken out of the
// address bar and this entry's history at once (any fragment is, matched or not).
function tokenFromLink() {
  if (!location.hash) return null;
  const m = /^#token=([A-Za-z0-9._~-]+)$/.exec(location.hash);
  history.replaceState(null, "", location.pathname + location.search);
  return m ? m[1] : null;
}

// A link signs in only after the person confirms whom it signs in as: a link (anyone's) must
// not switch an open session to another user. The prompt names the current user too, the
// focus is on "cancel", and "sign in" answers only after a second (no switch by a stray key).
async function offerLink(linked) {
  const resume = () => {
    if (V.ready) { document.getElementById("signin").hidden = true; document.getElementById("app").hidden = false; }
    else if (token()) signIn(token());
    else showSignIn();
  };
  let response;
  try {
    response = await fetch("/me", { cache: "no-store", headers: { Authorization: "Bearer " + linked } });
  } catch (e) {
    if (V.ready) V.notify(t("unreachable"), "error"); else resume();
    return;
  }
  if (!response.ok) {
    if (V.ready) V.notify(t("linkRejected"), "error");
    else if (token()) resume();
    else showSignIn(response.status === 401 ? "rejected" : "unreachable");
    return;
  }
  const me = await response.json();
  const box = document.getElementById("confirm");
  let text = t("signInAs") + " " + describe(me) + "?";
  if (V.ready && V.me) text += " " + t("signsOut") + " " + describe(V.me) + ".";
  document.getElementById("confirm-text").textContent = text;
  const yes = document.getElementById("confirm-yes");
  yes.disabled = true;
  setTimeout(() => { yes.disabled = false; }, 1000);
  box.hidden = false;
  document.getElementById("signin-form").hidden = true;
  document.getElementById("signin-message").textContent = "";
  document.getElementById("app").hidden = true;
  document.getElementById("signin").hidden = false;
  document.getElementById("confirm-no").focus();
  const confirmed = await new Promise((resolve) => {
    yes.onclick = () => resolve(true);
    document.getElementById("confirm-no").onclick = () => resolve(false);
  });
  box.hidden = true;
  document.getElementById("signin-form").hidden = false;
  if (confirmed) {
    if (token()) signOut();
    await signIn(linked);
  } else {
    resume();
  }
}

document.getElementById("language").addEventListener("change", (e) => {
  V.language = e.target.value;
  localStorage.setItem(LANGUAGE_KEY, V.language);
  applyTexts();
});
document.getElementById("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(document.getElementById("token").value.trim());
});
document.getElementById("signout").addEventListener("click", () => signOut());

// Work cut short by a sign-out (a refused token) is not an error of the page.
window.addEventListener("unhandledrejection", (e) => { if (e.reason && e.reason.signedOut) e.preventDefault(); });

// A link with another token opened in this tab: the previous user is signed out first.
window.addEventListener("hashchange", () => {
  const linked = tokenFromLink();
  if (linked) offerLink(linked);
});

V.startViewer = function startViewer() {
  applyTexts();
  const linked = tokenFromLink();
  if (linked) offerLink(linked);
  else if (token()) signIn(token());
  else showSignIn();
};
