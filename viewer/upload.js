// Uploads, a partner's daily task: drop a file (or choose one) to upload a new version of one of
// the caller's layers, staged; the progress of the transfer and of the import job, its
// validation report, then publish or discard the staged version where the caller may.
"use strict";

(function () {
  const V = window.viewer;
  const t = V.t;
  const U = { job: null, generation: 0 };
  V.upload = U;

  function writable() { return ((V.me && V.me.layers) || []).filter((l) => l.write !== "none"); }

  function progress(fraction, text) {
    const bar = document.getElementById("upload-progress");
    bar.hidden = false;
    bar.value = Math.max(0, Math.min(1, fraction));
    document.getElementById("upload-status").textContent = text;
  }

  // The transfer with XMLHttpRequest: fetch cannot report upload progress.
  function send(layer, file) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const query = "?stage=true&filename=" + encodeURIComponent(file.name);
      xhr.open("POST", "/collections/" + encodeURIComponent(layer) + "/versions" + query);
      xhr.setRequestHeader("Authorization", V.authorization());
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress(e.loaded / e.total / 2, `${t("sending")} ${Math.round((100 * e.loaded) / e.total)}%`); };
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new Error(t("unreachable")));
      xhr.send(file);
    });
  }

  async function upload(file) {
    const layer = document.getElementById("upload-layer").value;
    const generation = V.generation;
    if (!layer || !file) return;
    document.getElementById("upload-report").replaceChildren();
    progress(0, t("sending"));
    let xhr;
    try { xhr = await send(layer, file); } catch (e) { progress(0, e.message); return; }
    if (xhr.status === 401) { document.getElementById("signout").click(); return; }
    let job;
    try { job = JSON.parse(xhr.responseText); } catch (e) { job = {}; }
    if (xhr.status >= 400) { progress(0, job.detail || job.title || String(xhr.status)); return; }
    // The import job: polled until it ends.
    while (generation === V.generation && ["receiving", "queued", "running"].includes(job.state)) {
      const p = job.progress || {};
      progress(0.5 + (p.fraction || 0) / 2, `${t("importing")} ${p.featuresRead || 0}${p.featuresTotal ? " / " + p.featuresTotal : ""}`);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const r = await V.api("/jobs/" + encodeURIComponent(job.id));
      if (!r.ok) { progress(0, await V.problem(r)); return; }
      job = await r.json();
    }
    if (generation !== V.generation) return;
    U.job = job;
    progress(1, `${t("job")} ${job.id}: ${t("job." + job.state)}`);
    report(job);
  }

  function report(job) {
    const r = job.report || {};
    const rows = [[t("layer"), job.layer], [t("file"), job.file], [t("state"), t("job." + job.state)]];
    if (job.version !== undefined) rows.push([t("version"), job.version]);
    for (const k of ["featuresRead", "featuresWritten", "featuresRejected", "featuresRepaired", "geometryType"]) if (r[k] !== undefined) rows.push([t(k), r[k]]);
    if (r.crs && r.crs.epsg) rows.push(["CRS", "EPSG:" + r.crs.epsg]);
    for (const c of r.schemaChanges || []) rows.push([t("schemaChange"), c]);
    for (const x of (r.rejections || []).slice(0, 20)) rows.push([t("rejection"), `${x.code}: ${x.reason} (×${x.count})`]);
    if (job.error) rows.push([t("error"), job.error]);
    const box = document.getElementById("upload-report");
    box.replaceChildren(V.table(rows));
    box.dataset.state = job.state;
    if (job.state === "staged" && job.version !== undefined) {
      const actions = V.el("p");
      const done = (state) => () => {
        box.dataset.state = state;
        for (const button of box.querySelectorAll("button")) button.remove();
        for (const li of document.querySelectorAll(`#staged li[data-job="${CSS.escape(job.id)}"]`)) li.remove();
      };
      actions.append(action("publish", job, done("published")), action("discard", job, done("discarded")));
      box.append(actions);
    }
  }

  // Publish or discard a staged version; `done` runs when the service agreed.
  function action(verb, job, done) {
    const b = V.el("button", t(verb), { type: "button", "data-action": verb });
    b.addEventListener("click", async () => {
      b.disabled = true;
      const r = await V.api(`/collections/${encodeURIComponent(job.layer)}/versions/${job.version}/${verb}`, { method: "POST" });
      if (!r.ok) { V.notify(await V.problem(r), "error"); b.disabled = false; return; }
      V.notify(`${t(verb === "publish" ? "versionPublished" : "versionDiscarded")}: ${job.layer} ${t("version")} ${job.version}`);
      done();
      if (verb === "publish") await V.reloadLayer(job.layer);
    });
    return b;
  }

  // Staged versions the caller may publish or discard: its organisation's, and for an
  // information manager those of structureel partners awaiting its approval (/jobs lists both).
  async function staged(generation) {
    const r = await V.api("/jobs");
    if (!r.ok || generation !== V.generation) return 0;
    const me = V.me || {};
    const jobs = ((await r.json()).jobs || []).filter((j) => j.state === "staged" && j.version !== undefined);
    const rows = jobs.map((job) => {
      const li = V.el("li", null, { "data-job": job.id, "data-layer": job.layer });
      const who = job.organisation && job.organisation !== me.organisation ? ` · ${t("awaitsYou")} (${job.organisation})` : "";
      li.append(V.el("strong", `${job.layer} ${t("version")} ${job.version}`), V.el("small", `${job.file || ""} · ${V.time(job.updatedAt)}${who}`));
      li.append(action("publish", job, () => li.remove()), action("discard", job, () => li.remove()));
      return li;
    });
    document.getElementById("staged").replaceChildren(...rows);
    document.getElementById("staged-section").hidden = rows.length === 0;
    return rows.length;
  }

  V.panels.push({
    async start(me, generation) {
      const layers = writable();
      document.getElementById("upload-form").hidden = layers.length === 0;
      const select = document.getElementById("upload-layer");
      select.replaceChildren(...layers.map((l) => V.el("option", l.layer + (l.write === "approval" ? " (" + t("needsApproval") + ")" : ""), { value: l.layer })));
      const waiting = await staged(generation);
      document.getElementById("upload-section").hidden = layers.length === 0 && waiting === 0;
    },
    stop() {
      U.job = null;
      document.getElementById("staged").replaceChildren();
      document.getElementById("upload-report").replaceChildren();
      document.getElementById("upload-progress").hidden = true;
      document.getElementById("upload-status").textContent = "";
    },
  });

  const drop = document.getElementById("drop");
  const input = document.getElementById("upload-file");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });
  input.addEventListener("change", () => { if (input.files.length) upload(input.files[0]); input.value = ""; });
})();
