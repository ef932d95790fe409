// The risk picture: the current picture of the caller's regions (every region for a national
// node) as an overlay coloured by severity, the list of threats and effects, a time slider for
// the picture as of an earlier moment, live updates over the event stream, and for an
// information manager the pending contributions with accept, reject and publish.
"use strict";

(function () {
  const V = window.viewer;
  const t = V.t;
  const SEVERITY = ["match", ["get", "severity"], "Extreme", "#7f0000", "Severe", "#d7301f", "Moderate", "#fc8d59", "Minor", "#fdcc8a", "#bdbdbd"];
  // The time slider's positions: every publication of the caller's pictures, then "now" (live).
  const P = { pictures: [], regions: [], versions: {}, timeline: [], at: null, stream: null, connected: false, changed: new Set(), latest: null, timer: null, chain: Promise.resolve(), loads: 0 };
  V.picture = P;

  // A circle as a polygon of 48 points (metres on the sphere).
  function circle(c) {
    const [lon, lat] = c.center;
    const ring = [];
    for (let i = 0; i <= 48; i++) {
      const a = (2 * Math.PI * i) / 48;
      const dLat = (c.radiusMetres * Math.cos(a)) / 111320;
      const dLon = (c.radiusMetres * Math.sin(a)) / (111320 * Math.cos((lat * Math.PI) / 180));
      ring.push([lon + dLon, lat + dLat]);
    }
    return [ring];
  }

  function areaGeometry(area) {
    const w = area && area.wgs84;
    if (!w) return null;
    const polygons = [...(w.polygons || []), ...(w.circles || []).map(circle)];
    return polygons.length ? { type: "MultiPolygon", coordinates: polygons } : null;
  }

  // An item as map features with the attributes the list shows.
  function features(picture, item) {
    const base = { id: item.id, kind: item.kind, region: picture.region, state: item.state, organisation: item.organisation };
    const out = [];
    if (item.threat) {
      const g = areaGeometry(item.threat.area);
      if (g) out.push({ type: "Feature", geometry: g, properties: { ...base, severity: item.threat.severity, hazard: item.threat.hazard, headline: item.threat.headline } });
    }
    if (item.effect) {
      const g = areaGeometry(item.effect.area);
      const props = { ...base, consequence: item.effect.consequence, threat: item.effect.threat };
      if (g) out.push({ type: "Feature", geometry: g, properties: { ...props, part: "area" } });
      const a = item.effect.asset;
      if (a && a.position) out.push({ type: "Feature", geometry: { type: "Point", coordinates: a.position }, properties: { ...props, part: "asset", asset: a.layer } });
    }
    return out;
  }

  function draw() {
    const map = V.map;
    if (!map) return;
    const data = { type: "FeatureCollection", features: P.pictures.flatMap((p) => p.items.flatMap((i) => features(p, i))) };
    const source = map.getSource("risk");
    if (source) { source.setData(data); return; }
    map.addSource("risk", { type: "geojson", data });
    const kind = (k) => ["==", ["get", "kind"], k];
    map.addLayer({ id: "risk-threat-fill", type: "fill", source: "risk", filter: kind("threat"), paint: { "fill-color": SEVERITY, "fill-opacity": 0.35 } });
    map.addLayer({ id: "risk-threat-outline", type: "line", source: "risk", filter: kind("threat"), paint: { "line-color": SEVERITY, "line-width": 2 } });
    map.addLayer({ id: "risk-effect-area", type: "fill", source: "risk", filter: ["all", kind("effect"), ["==", ["get", "part"], "area"]],
                   paint: { "fill-color": "#6a51a3", "fill-opacity": 0.3, "fill-outline-color": "#3f007d" } });
    map.addLayer({ id: "risk-effect-asset", type: "circle", source: "risk", filter: ["all", kind("effect"), ["==", ["get", "part"], "asset"]],
                   paint: { "circle-radius": 6, "circle-color": "#3f007d", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
  }

  function list() {
    const box = document.getElementById("picture-list");
    const rows = [];
    for (const p of P.pictures) {
      const head = V.el("li", `${p.region} · ${t("version")} ${p.version} · ${V.time(p.publishedAt)}`, { class: "picture-head", "data-region": p.region, "data-version": String(p.version) });
      rows.push(head);
      for (const item of p.items) {
        const what = item.threat ? `${item.threat.headline} (${t("severity." + item.threat.severity)})` : item.effect ? item.effect.consequence : item.id;
        const li = V.el("li", null, { class: "picture-item", "data-item": item.id, "data-kind": item.kind });
        li.append(V.el("strong", t(item.kind) + ": "), document.createTextNode(what),
          V.el("small", ` ${t("state")}: ${t("state." + item.state)} · ${t("source")}: ${item.organisation} · ${V.time(item.submittedAt)}`));
        rows.push(li);
      }
    }
    if (rows.length === 0) rows.push(V.el("li", t("noPicture")));
    box.replaceChildren(...rows);
    document.getElementById("picture-at").textContent = P.at ? t("asOf") + " " + V.time(P.at.toISOString(), true) : P.noStream ? "" : P.connected ? t("live") : t("notLive");
  }

  async function load(generation) {
    // The latest load wins: an older answer finishing later, or one for another moment, is dropped.
    const seq = ++P.loads;
    const moment = P.at;
    let pictures = [];
    if (P.at === null) {
      const r = await V.api("/pictures");
      if (r.ok) pictures = (await r.json()).pictures || [];
      P.regions = [...new Set([...P.regions, ...pictures.map((p) => p.region)])];
    } else {
      const at = encodeURIComponent(P.at.toISOString());
      // Only regions that had a picture then: before a region's first version there is none
      // (known when its list of publications reaches back to version 1).
      for (const region of P.regions) {
        const first = (P.versions[region] || [])[0];
        if (first && first.version === 1 && new Date(first.publishedAt) > P.at) continue;
        const r = await V.api(`/pictures/${encodeURIComponent(region)}?at=${at}`);
        if (r.ok) pictures.push(await r.json());
      }
    }
    if (generation !== V.generation || seq !== P.loads || moment !== P.at) return;
    P.pictures = pictures;
    draw();
    list();
  }

  // The publications of the regions' pictures: the slider's positions.
  async function timeline(generation, regions) {
    for (const region of regions) {
      const r = await V.api(`/pictures/${encodeURIComponent(region)}/versions`);
      if (r.ok) P.versions[region] = (await r.json()).versions || [];
    }
    if (generation !== V.generation) return;
    const moments = new Set(Object.values(P.versions).flat().map((v) => v.publishedAt));
    P.timeline = [...moments].map((m) => new Date(m)).sort((a, b) => a - b);
    const range = document.getElementById("picture-slider");
    const live = P.at === null;
    range.max = String(P.timeline.length);
    range.disabled = P.timeline.length === 0;
    if (live) range.value = range.max;
  }

  // Server-sent events read with fetch (EventSource cannot send the token in a header). Every
  // connection is closed before the next; refusals other than "no picture for you" are retried
  // with a growing, jittered delay (Retry-After respected), and the page says it is not live.
  async function listen(generation) {
    let last = null;
    let delay = 1000;
    while (generation === V.generation) {
      const controller = new AbortController();
      P.stream = controller;
      try {
        const query = last ? "?lastEventId=" + encodeURIComponent(last) : "";
        const response = await V.api("/pictures/events" + query, { signal: controller.signal, headers: { Accept: "text/event-stream" } });
        if (response.status === 403 || response.status === 404) { P.noStream = true; list(); return; } // no picture for this caller
        if (!response.ok) {
          const after = Number(response.headers.get("Retry-After"));
          if (after > 0) delay = Math.max(delay, after * 1000);
          connected(false, generation);
        } else {
          connected(true, generation);
          const opened = Date.now();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done || generation !== V.generation) break;
            if (Date.now() - opened > 10000) delay = 1000; // a connection that lasts resets the backoff
            buffer += value;
            if (buffer.length > 4 << 20) break; // an event never ends: start over
            let end;
            while ((end = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = {};
              for (const line of block.split("\n")) {
                const colon = line.indexOf(":");
                if (colon <= 0) continue;
                event[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
              }
              if (event.id) last = event.id;
              if (event.data && generation === V.generation) {
                try { received(JSON.parse(event.data), generation); } catch (e) { console.warn("event:", e.message); }
              }
            }
          }
        }
      } catch (e) {
        if (generation !== V.generation) return;
      } finally {
        controller.abort();
      }
      connected(false, generation);
      await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * 500));
      delay = Math.min(delay * 2, 60000);
    }
  }

  function connected(live, generation) {
    if (generation !== V.generation || P.connected === live) return;
    P.connected = live;
    list();
  }

  // Publications are taken together: one reload for a burst (a replay after a reconnect, or
  // several regions at once).
  function received(event, generation) {
    if (!P.regions.includes(event.region)) P.regions.push(event.region);
    P.changed.add(event.region);
    P.latest = event;
    clearTimeout(P.timer);
    // One refresh at a time, in order.
    P.timer = setTimeout(() => {
      P.chain = P.chain.then(() => refresh(generation)).catch((e) => { if (!e.signedOut) console.warn("picture:", e.message); });
    }, 250);
  }

  async function refresh(generation) {
    if (generation !== V.generation || P.changed.size === 0) return;
    const regions = [...P.changed];
    const event = P.latest;
    P.changed.clear();
    await timeline(generation, regions);
    if (P.at === null) await load(generation);
    if (generation !== V.generation) return;
    const text = `${t("pictureUpdated")} ${event.region} → ${t("version")} ${event.version} (${V.time(event.publishedAt)})`;
    V.notify(P.at === null ? text : text + " " + t("backToNow"), "update");
    await pending(generation);
  }

  function position() {
    const range = document.getElementById("picture-slider");
    const i = Number(range.value);
    return i >= P.timeline.length ? null : P.timeline[i];
  }

  function slider() {
    P.at = position();
    load(V.generation);
  }

  // Pending contributions of the regions where the caller is an information manager.
  async function pending(generation) {
    const box = document.getElementById("pending");
    const regions = (V.me && V.me.approvesPictures) || [];
    document.getElementById("pending-section").hidden = regions.length === 0;
    if (regions.length === 0) return;
    const rows = [];
    for (const region of regions) {
      const r = await V.api(`/pictures/${encodeURIComponent(region)}/contributions?state=pending`);
      if (!r.ok) continue;
      const contributions = (await r.json()).contributions || [];
      if (generation !== V.generation) return;
      for (const c of contributions) {
        const what = c.threat ? c.threat.headline : c.effect ? c.effect.consequence : c.id;
        const li = V.el("li", null, { "data-item": c.id, "data-state": c.state });
        li.append(V.el("strong", `${region} · ${t(c.kind)}: `), document.createTextNode(what), V.el("small", ` ${c.organisation} · ${t("state." + c.state)}`));
        if (c.state === "submitted") {
          li.append(button("accept", () => verify(region, c.id, "accept")), button("reject", () => reject(region, c.id)));
        }
        rows.push(li);
      }
      if (contributions.some((c) => c.state === "accepted")) {
        const li = V.el("li");
        li.append(button("publishPicture", () => publish(region), region));
        rows.push(li);
      }
    }
    if (rows.length === 0) rows.push(V.el("li", t("nothingPending")));
    box.replaceChildren(...rows);
  }

  function button(key, action, suffix) {
    const b = V.el("button", t(key) + (suffix ? " " + suffix : ""), { type: "button", "data-action": key });
    b.addEventListener("click", async () => { b.disabled = true; try { await action(); } finally { b.disabled = false; } });
    return b;
  }

  async function verify(region, id, verb, body) {
    const r = await V.api(`/pictures/${encodeURIComponent(region)}/contributions/${encodeURIComponent(id)}/${verb}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
    V.notify(r.ok ? t(verb === "accept" ? "acceptedItem" : "rejectedItem") + ": " + id : await V.problem(r), r.ok ? "info" : "error");
    await pending(V.generation);
  }

  // A rejection needs a reason: asked in a dialog (keyboard: Enter sends, Escape cancels).
  function reject(region, id) {
    const dialog = document.getElementById("reason-dialog");
    const field = document.getElementById("reason");
    field.value = "";
    dialog.returnValue = "";
    dialog.onclose = () => {
      if (dialog.returnValue === "send" && field.value.trim()) verify(region, id, "reject", { reason: field.value.trim() });
    };
    dialog.showModal();
    field.focus();
  }

  async function publish(region) {
    const r = await V.api(`/pictures/${encodeURIComponent(region)}/versions`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    V.notify(r.ok ? t("picturePublished") + " " + region : await V.problem(r), r.ok ? "info" : "error");
    await pending(V.generation);
  }

  V.panels.push({
    async start(me, generation) {
      if (P.stream) P.stream.abort();
      clearTimeout(P.timer);
      P.pictures = []; P.regions = []; P.versions = {}; P.timeline = []; P.at = null; P.connected = false; P.noStream = false; P.changed.clear();
      await load(generation);
      await timeline(generation, P.regions);
      await pending(generation);
      listen(generation);
    },
    stop() {
      if (P.stream) P.stream.abort();
      clearTimeout(P.timer);
      P.stream = null; P.pictures = []; P.regions = []; P.versions = {}; P.timeline = [];
      document.getElementById("picture-list").replaceChildren();
      document.getElementById("pending").replaceChildren();
    },
    texts() { if (V.map) list(); },
  });

  document.getElementById("picture-slider").addEventListener("change", slider);
  document.getElementById("picture-slider").addEventListener("input", () => {
    const at = position();
    document.getElementById("picture-at").textContent = at === null ? t("live") : t("asOf") + " " + V.time(at.toISOString(), true);
  });
})();
