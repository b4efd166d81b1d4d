// ironstor console, pools page: the stripe warning, "disks per vdev"
// turned into the request's vdevs.
// Text goes into the page with textContent only.
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
})();
