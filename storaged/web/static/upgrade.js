// The upgrade page: slots from GET /api/v1/upgrade, the bundle upload with
// its progress, reboot and rollback. Text only (textContent), never HTML:
// the image name and messages come from a bundle's manifest.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const { call, csrfToken } = window.ironstor;
  let polling = null;

  function show(id, on) { $(id).classList.toggle("hidden", !on); }
  function say(text, cls) { $("message").textContent = text; $("message").className = cls || ""; }

  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function render(s) {
    $("problem").textContent = s.problem || "";
    const rows = s.slots.map((slot) => {
      const state = [slot.running && "running", slot.active && "active",
        slot.next && "next (" + s.tries + " tries left)"].filter(Boolean).join(", ");
      const img = slot.image;
      const tr = document.createElement("tr");
      tr.id = "slot-" + slot.slot;
      tr.append(cell(slot.slot.toUpperCase()), cell(img ? img.image : "(empty)"),
        cell(img ? img.version : "", "version"), cell(state, "state"));
      return tr;
    });
    $("slots").replaceChildren(...rows);
    $("blessed").textContent = !s.active ? ""
      : s.blessed ? "This boot is blessed: it is the slot GRUB falls back to."
      : "This boot is on trial: it becomes active once it is healthy.";
    const o = s.last_outcome;
    $("outcome").textContent = o
      ? o.kind.replace("_", " ") + ": " + o.message + " (" + new Date(o.at * 1000).toLocaleString() + ")"
      : "None yet.";
    $("outcome").className = o && (o.kind === "rolled_back" || o.kind === "refused") ? "error" : "";
    const p = s.progress;
    if (p.phase !== "idle") {
      const pct = p.total ? Math.floor(100 * p.done / p.total) : 0;
      $("install-progress").value = p.phase === "installed" ? 100 : pct;
      $("install-phase").textContent = p.phase + (p.total ? " " + pct + "%" : "");
    }
  }

  async function refresh() {
    try { render(await call("GET", "/api/v1/upgrade")); }
    catch (e) { $("problem").textContent = e.message; }
  }

  $("upload").addEventListener("click", () => {
    const file = $("bundle").files[0];
    if (!file) { say("Choose a bundle file first.", "error"); return; }
    show("transfer", true);
    $("upload-progress").value = 0; $("install-progress").value = 0;
    $("install-phase").textContent = "waiting";
    say("Uploading " + file.name + "…");
    // XMLHttpRequest, not fetch: fetch reports no upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/upgrade/bundle" + ($("force").checked ? "?force=true" : ""));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) {
        const pct = Math.floor(100 * ev.loaded / ev.total);
        $("upload-progress").value = pct; $("upload-percent").textContent = pct + "%";
      }
    };
    xhr.upload.onload = () => { $("upload-progress").value = 100; $("upload-percent").textContent = "100%"; };
    polling = setInterval(refresh, 1000);
    const done = (ok, text) => {
      clearInterval(polling); polling = null;
      say(text, ok ? "ok" : "error");
      refresh();
    };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status === 200 && data) done(true, data.message + " Reboot to run it.");
      else done(false, "Refused: " + (data && data.error ? data.error.message : xhr.statusText));
    };
    xhr.onerror = () => done(false, "The upload failed: the connection broke.");
    xhr.send(file);
  });

  $("reboot").addEventListener("click", () => show("confirm-reboot", true));
  $("reboot-no").addEventListener("click", () => show("confirm-reboot", false));
  $("reboot-yes").addEventListener("click", async () => {
    show("confirm-reboot", false);
    try {
      await call("POST", "/api/v1/upgrade/reboot");
      say("Rebooting. Reload this page when the appliance is back.", "ok");
    } catch (e) { say(e.message, "error"); }
  });
  $("rollback").addEventListener("click", async () => {
    try { const r = await call("POST", "/api/v1/upgrade/rollback"); say(r.message, "ok"); await refresh(); }
    catch (e) { say(e.message, "error"); }
  });

  refresh();
})();
