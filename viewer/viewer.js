// The viewer: sign in with a token, the layers the caller may see as vector tiles on a Web
// Mercator map, and the attributes of a clicked feature. Plain JavaScript; texts in i18n.js.
"use strict";

const TOKEN_KEY = "layerserver.token";
const LANGUAGE_KEY = "layerserver.language";
const PALETTE = ["#d7301f", "#2b8cbe", "#31a354", "#756bb1", "#e6550d", "#636363", "#dd3497", "#8c6d31"];
const state = { language: localStorage.getItem(LANGUAGE_KEY) || "nl", map: null, collections: [] };

function t(key) { return (TEXTS[state.language] || TEXTS.nl)[key] || key; }

function applyTexts() {
  document.documentElement.lang = state.language;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
  for (const el of document.querySelectorAll("[data-label]")) el.setAttribute("aria-label", t(el.dataset.label));
  document.title = t("title");
  document.getElementById("language").value = state.language;
}

// A request with the caller's token; a refused token leads back to sign-in.
async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  if (response.status === 401) {
    signOut("expired");
    throw new Error("signed out");
  }
  return response;
}

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
  document.getElementById("token").value = "";
  if (state.map) { state.map.remove(); state.map = null; }
  state.collections = [];
  document.getElementById("layers").replaceChildren();
  document.getElementById("feature").replaceChildren(paragraph(t("clickHelp")));
  showSignIn(messageKey);
}

async function signIn(token) {
  let response;
  try {
    response = await fetch("/collections", { headers: { Authorization: "Bearer " + token } });
  } catch (e) {
    showSignIn("unreachable");
    return;
  }
  if (response.status === 401 || response.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignIn("rejected");
    return;
  }
  if (!response.ok) {
    showSignIn("unreachable");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById("token").value = "";
  const doc = await response.json();
  state.collections = doc.collections || [];
  document.getElementById("signin").hidden = true;
  document.getElementById("app").hidden = false;
  document.getElementById("signout").hidden = false;
  document.getElementById("who").textContent = t("signedInAs") + " " + token.split(".")[0];
  await showMap();
}

function family(geometryType) {
  const g = (geometryType || "").toUpperCase();
  if (g.includes("POINT")) return "point";
  if (g.includes("LINE")) return "line";
  return "polygon";
}

// Map ids are prefixed: a partner's layer may be called "background".
function mapID(collection) { return "l:" + collection.id; }

function styleLayers(collection, sourceLayer, color) {
  const id = mapID(collection);
  const base = { source: id, "source-layer": sourceLayer };
  switch (family(collection.geometryType)) {
    case "point":
      return [{ ...base, id, type: "circle", paint: { "circle-color": color, "circle-radius": 4, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } }];
    case "line":
      return [{ ...base, id, type: "line", paint: { "line-color": color, "line-width": 2 } }];
    default:
      return [
        { ...base, id, type: "fill", paint: { "fill-color": color, "fill-opacity": 0.15 } },
        { ...base, id: id + "--outline", type: "line", paint: { "line-color": color, "line-width": 1.5 } },
      ];
  }
}

async function showMap() {
  // Tiles are asked with the token in a header (not the TileJSON's signed URLs, which expire
  // after 15 minutes and would outlive a sign-out); a refused tile leads back to sign-in.
  const map = new maplibregl.Map({
    container: "map", center: [5.2, 52.1], zoom: 8, fadeDuration: 0, attributionControl: false,
    style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#f4f1ea" } }] },
    transformRequest: (url) => url.startsWith(location.origin + "/")
      ? { url, headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) } }
      : { url },
  });
  map.on("error", (e) => { if (e.error && e.error.status === 401) signOut("expired"); });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl(), "top-right");
  await new Promise((resolve) => map.on("load", resolve));
  const list = document.getElementById("layers");
  // Areas first, points last: points stay on top.
  const order = { polygon: 0, line: 1, point: 2 };
  const collections = [...state.collections].sort((a, b) => order[family(a.geometryType)] - order[family(b.geometryType)]);
  for (const [i, collection] of collections.entries()) {
    const color = PALETTE[i % PALETTE.length];
    const response = await api("/collections/" + encodeURIComponent(collection.id) + "/tiles/WebMercatorQuad/tilejson");
    if (!response.ok) continue;
    const tilejson = await response.json();
    if (state.map !== map) return; // signed out meanwhile
    const sourceLayer = (tilejson.vector_layers && tilejson.vector_layers[0] && tilejson.vector_layers[0].id) || collection.id;
    // Without the signature (as text: URL() would encode the {z}/{x}/{y} placeholders).
    const tiles = tilejson.tiles.map((u) => u.replace(/([?&])access=[^&]*(&?)/, (m, sep, more) => (more ? sep : "")).replace(/[?&]$/, ""));
    map.addSource(mapID(collection), { type: "vector", tiles, minzoom: tilejson.minzoom, maxzoom: tilejson.maxzoom });
    const layers = styleLayers(collection, sourceLayer, color);
    for (const layer of layers) map.addLayer(layer);
    list.appendChild(layerItem(collection, layers.map((l) => l.id), color));
  }
  map.on("click", (e) => inspect(e));
}

function layerItem(collection, ids, color) {
  const item = document.createElement("li");
  item.dataset.layer = collection.id;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = true;
  box.id = "layer-" + collection.id;
  box.addEventListener("change", () => {
    for (const id of ids) state.map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
  });
  const swatch = document.createElement("span");
  swatch.className = "swatch";
  swatch.style.background = color;
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.textContent = collection.title || collection.id;
  item.append(box, swatch, label);
  return item;
}

function inspect(e) {
  const ours = new Set(state.collections.map(mapID));
  const hit = state.map.queryRenderedFeatures(e.point).find((f) => ours.has(f.source));
  const panel = document.getElementById("feature");
  if (!hit) {
    panel.replaceChildren(paragraph(t("clickHelp")));
    return;
  }
  const collection = state.collections.find((c) => mapID(c) === hit.source);
  const rows = [[t("layer"), collection.title || collection.id], [t("owner"), collection.owner], [t("sensitivity"), collection.sensitivity]];
  if (collection.version !== undefined) rows.push([t("version"), collection.version]);
  for (const [k, v] of Object.entries(hit.properties)) rows.push([k, v]);
  const table = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    const td = tr.insertCell();
    td.textContent = v === null || v === undefined ? "" : String(v);
    tr.prepend(th);
  }
  panel.replaceChildren(table);
}

function paragraph(text) {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

document.getElementById("language").addEventListener("change", (e) => {
  state.language = e.target.value;
  localStorage.setItem(LANGUAGE_KEY, state.language);
  applyTexts();
});
document.getElementById("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signIn(document.getElementById("token").value.trim());
});
document.getElementById("signout").addEventListener("click", () => signOut());

applyTexts();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved); else showSignIn();
