// ironstor console, pools page: the stripe warning, "disks per vdev"
// turned into the request's vdevs, and pools found on disks that can be
// imported. Text goes into the page with textContent only.
"use strict";

(function () {
  const layout = document.getElementById("pool-layout");
  const warning = document.getElementById("pool-stripe-warning");

  // The stripe's "no redundancy" warning, shown before anything is sent.
  function showWarning() {
    if (layout && warning) warning.classList.toggle("hidden", layout.value !== "stripe");
  }
  if (layout) {
    layout.addEventListener("change", showWarning);
    showWarning();
  }

  // {name, layout, disks, force, vdev_width} -> {name, layout, disks,
  // force} (one vdev) or {name, vdevs: [{layout, disks}], force}.
  window.ironstor.build.poolCreate = function (body) {
    const disks = body.disks || [];
    const force = body.force || [];
    const width = body.vdev_width;
    delete body.vdev_width;
    if (disks.length === 0) throw new Error("Check the disks the pool is made of.");
    for (const id of force) {
      if (!disks.includes(id)) throw new Error("Disk " + id + " is forced but not checked: check it under \"Use\" too.");
    }
    if (body.layout === "stripe" && !window.confirm("A stripe has no redundancy: losing any one disk loses the pool. Create it anyway?")) {
      throw new Error("Not created: choose a layout with redundancy, or confirm the stripe.");
    }
    if (width === null || width === undefined || width >= disks.length) return body;
    if (!Number.isInteger(width) || width < 1) throw new Error("Disks per vdev: a whole number, 1 or more.");
    if (disks.length % width !== 0) {
      throw new Error(disks.length + " disks do not split into vdevs of " + width + ".");
    }
    const vdevs = [];
    for (let i = 0; i < disks.length; i += width) vdevs.push({ layout: body.layout, disks: disks.slice(i, i + width) });
    return { name: body.name, vdevs, force };
  };

  // Pools on disks that are not declared here (GET /api/v1/pools/importable,
  // where the API has it): one row each, with an import button that
  // app.js sends.
  const table = document.getElementById("importable");
  if (!table) return;
  window.ironstor.call("GET", "/api/v1/pools/importable").then((data) => {
    const found = Array.isArray(data) ? data : (data && (data.pools || data.importable)) || [];
    const tbody = table.querySelector("tbody");
    for (const pool of found) {
      const name = typeof pool === "string" ? pool : pool.name;
      if (!name || tbody.querySelector('tr[data-pool="' + CSS.escape(name) + '"]')) continue;
      const row = document.createElement("tr");
      row.setAttribute("data-pool", name);
      const cell = (text) => { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; };
      cell(name);
      cell(typeof pool === "object" && pool.health ? "on disks, " + pool.health : "on disks, not declared");
      const actions = cell("");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small import";
      button.textContent = "Import";
      button.setAttribute("data-api", "POST /api/v1/pools/" + encodeURIComponent(name) + "/import");
      button.setAttribute("data-body", '{"force": false}');
      const error = document.createElement("p");
      error.className = "error";
      error.setAttribute("role", "alert");
      actions.append(button, error);
      tbody.appendChild(row);
      const none = document.getElementById("importable-none");
      if (none) none.hidden = true;
    }
  }).catch(() => { /* not in this build's API: the declared pools above are all */ });
})();
