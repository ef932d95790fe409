// "View as", for security reviewers: choose an organisation and a moment and see what it gets —
// its layers, its read area per layer outlined on the map, the attributes hidden from it, and the
// rules that decided — from the decision function that enforcement uses (/access/areas, the
// matrix's row with areas). No layer data: reviewers do not read layers (need-to-know).
"use strict";

(function () {
  const V = window.viewer;
  const t = V.t;
  const PALETTE = V.palette;
  const A = { answer: null };
  V.viewAs = A;

  async function organisations() {
    const r = await V.api("/access/matrix");
    if (!r.ok) return [];
    const matrix = await r.json();
    return [...new Set(matrix.entries.map((e) => e.organisation).filter((o) => !o.startsWith("(")))].sort();
  }

  async function show() {
    const organisation = document.getElementById("viewas-organisation").value;
    const moment = document.getElementById("viewas-at").value;
    let query = "?organisation=" + encodeURIComponent(organisation);
    if (moment) query += "&at=" + encodeURIComponent(new Date(moment).toISOString());
    const r = await V.api("/access/areas" + query);
    const box = document.getElementById("viewas-result");
    if (!r.ok) { box.replaceChildren(V.el("p", await V.problem(r), { class: "error" })); return; }
    const answer = await r.json();
    A.answer = answer;
    const readable = answer.layers.filter((l) => l.access !== "none");
    const rows = readable.map((l, i) => {
      const li = V.el("li", null, { "data-layer": l.layer, "data-scope": l.scope });
      const swatch = V.el("span", null, { class: "swatch swatch-polygon" });
      swatch.style.setProperty("--swatch", PALETTE[i % PALETTE.length]);
      li.append(swatch, V.el("strong", l.layer), V.el("small", ` ${l.access} · ${l.everywhere ? t("everywhere") : t("onlyIn") + " " + l.scope}`));
      const details = [];
      if (l.hiddenAttributes.length) details.push([t("hiddenAttributes"), l.hiddenAttributes.join(", ")]);
      details.push([t("rules"), l.readRules.join(", ")]);
      for (const reason of l.reasons) details.push(["", reason]);
      li.append(V.table(details));
      return li;
    });
    const denied = answer.layers.filter((l) => l.access === "none").map((l) => V.el("li", `${l.layer}: ${l.reasons.join("; ")}`, { "data-denied": l.layer }));
    box.replaceChildren(
      V.el("p", `${organisation} · ${V.time(answer.at)} · ${t("policy")} ${answer.policyHash.slice(0, 12)}`),
      V.el("ul", null, { id: "viewas-layers" }), V.el("h3", t("notReadable")), V.el("ul", null, { id: "viewas-denied" }));
    document.getElementById("viewas-layers").replaceChildren(...(rows.length ? rows : [V.el("li", t("nothingReadable"))]));
    document.getElementById("viewas-denied").replaceChildren(...denied);
    outline(readable);
  }

  // Each readable layer's area, outlined in its colour (a layer read everywhere has no outline).
  function outline(readable) {
    const map = V.map;
    const features = readable.map((l, i) => l.area && { type: "Feature", geometry: l.area, properties: { layer: l.layer, color: PALETTE[i % PALETTE.length] } }).filter(Boolean);
    const data = { type: "FeatureCollection", features };
    if (map.getSource("viewas")) map.getSource("viewas").setData(data);
    else {
      map.addSource("viewas", { type: "geojson", data });
      map.addLayer({ id: "viewas-fill", type: "fill", source: "viewas", paint: { "fill-color": ["get", "color"], "fill-opacity": 0.08 } });
      map.addLayer({ id: "viewas-line", type: "line", source: "viewas", paint: { "line-color": ["get", "color"], "line-width": 2, "line-dasharray": [2, 1] } });
    }
    const bounds = new maplibregl.LngLatBounds();
    for (const f of features) for (const polygon of f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates) for (const p of polygon[0]) bounds.extend(p);
    if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 30, duration: 0 });
  }

  V.panels.push({
    async start(me) {
      document.getElementById("viewas-section").hidden = !me.reviews;
      if (!me.reviews) return;
      const select = document.getElementById("viewas-organisation");
      select.replaceChildren(...(await organisations()).map((o) => V.el("option", o, { value: o })));
    },
    stop() {
      A.answer = null;
      document.getElementById("viewas-result").replaceChildren();
      document.getElementById("viewas-organisation").replaceChildren();
    },
  });

  document.getElementById("viewas-form").addEventListener("submit", (e) => { e.preventDefault(); show(); });
})();
