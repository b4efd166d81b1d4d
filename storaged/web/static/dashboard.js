// The dashboard: follows GET /api/v1/dashboard/stream (one `sample` event
// every 2 s from the appliance's one collector), updates the tables the
// server rendered, and draws the last five minutes with uPlot. Text is set
// with textContent only.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const KEEP = 150; // points: five minutes at one per 2 s
  const DASH = "—";
  const COLORS = ["#1f6fb2", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5c940d"];

  // The same formats as the server's filters (storaged/src/web/templates.rs).
  function bytes(n) {
    if (n === null || n === undefined) return DASH;
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let v = n, u = 0;
    while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    if (u === 0) return v.toFixed(0) + " B";
    return (Math.abs(v) < 10 ? v.toFixed(1) : v.toFixed(0)) + " " + units[u];
  }
  function bitrate(bytesPerSecond) {
    if (bytesPerSecond === null || bytesPerSecond === undefined) return DASH;
    const units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"];
    let v = bytesPerSecond * 8, u = 0;
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    return (u === 0 || v >= 100 ? v.toFixed(0) : v.toFixed(1)) + " " + units[u];
  }
  function epoch(seconds, withSeconds) {
    if (!seconds) return DASH;
    return new Date(seconds * 1000).toISOString().slice(0, withSeconds ? 19 : 16).replace("T", " ") + " UTC";
  }
  function percent(p) { return p === null || p === undefined ? DASH : p + " %"; }
  function setText(id, text) { const el = $(id); if (el) el.textContent = text; }

  function cell(tr, cls, text, num) {
    let td = tr.querySelector("td." + cls);
    if (!td) {
      td = document.createElement("td");
      td.className = cls + (num ? " num" : "");
      tr.append(td);
    }
    if (td.textContent !== text) td.textContent = text;
    return td;
  }

  // Keeps tbody's rows in `items`' order, one per key (data-<attr>),
  // creating and removing rows as items come and go; `fill` sets cells.
  function rows(tbody, attr, items, key, fill) {
    const existing = new Map();
    for (const tr of tbody.querySelectorAll("tr")) {
      if (tr.dataset[attr] !== undefined) existing.set(tr.dataset[attr], tr);
      else tr.remove(); // the "no pools yet" line
    }
    const wanted = [];
    for (const item of items) {
      const k = key(item);
      let tr = existing.get(k);
      existing.delete(k);
      if (!tr) { tr = document.createElement("tr"); tr.dataset[attr] = k; }
      fill(tr, item);
      wanted.push(tr);
    }
    for (const tr of existing.values()) tr.remove();
    wanted.forEach((tr, i) => { if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null); });
  }

  function renderTables(s) {
    setText("sampled-at", epoch(Math.floor(s.at_ms / 1000), true));
    const problems = $("problems");
    if (problems) problems.replaceChildren(...s.problems.map((p) => { const li = document.createElement("li"); li.textContent = p; return li; }));

    setText("cpu-busy", percent(s.cpu.busy_percent));
    setText("cpu-cores", String(s.cpu.cores));
    setText("cpu-iowait", percent(s.cpu.iowait_percent));
    if (s.memory) {
      setText("mem-used", bytes(s.memory.used_bytes));
      setText("mem-total", bytes(s.memory.total_bytes));
      setText("mem-available", bytes(s.memory.available_bytes));
      const meter = $("mem-meter");
      if (meter) { meter.max = s.memory.total_bytes; meter.value = s.memory.used_bytes; }
    }
    if (s.arc) {
      setText("arc-size", bytes(s.arc.size_bytes));
      setText("arc-target", bytes(s.arc.target_bytes));
      setText("arc-hit", percent(s.arc.hit_percent));
    }

    rows($("nic-throughput").tBodies[0], "nic", s.nics, (n) => n.name, (tr, n) => {
      cell(tr, "name", n.name);
      cell(tr, "state", n.state);
      cell(tr, "rx-bps", bitrate(n.rx_bytes_per_second), true).dataset.value = String(n.rx_bytes_per_second || 0);
      cell(tr, "tx-bps", bitrate(n.tx_bytes_per_second), true).dataset.value = String(n.tx_bytes_per_second || 0);
      cell(tr, "speed", n.speed_mbps ? n.speed_mbps + " Mbit/s" : DASH, true);
      cell(tr, "mtu", n.mtu ? String(n.mtu) : DASH, true);
    });

    rows($("drive-temps").tBodies[0], "drive", s.drives, (d) => d.kernel_name, (tr, d) => {
      cell(tr, "name", d.kernel_name).title = d.id || "";
      cell(tr, "model", d.model || "");
      cell(tr, "size", bytes(d.size_bytes), true);
      cell(tr, "temperature", d.temperature_celsius === null ? DASH : d.temperature_celsius + " °C", true);
      const v = cell(tr, "verdict", d.verdict);
      v.className = "verdict verdict-" + d.verdict;
      v.title = d.reasons.join("; ");
    });

    const pools = $("pool-usage").tBodies[0];
    rows(pools, "pool", s.pools, (p) => p.name, (tr, p) => {
      cell(tr, "name", p.name);
      cell(tr, "health", p.health).className = "health state-" + p.health.toLowerCase();
      let used = tr.querySelector("td.used");
      if (!used) {
        used = document.createElement("td");
        used.className = "used";
        const meter = document.createElement("meter");
        meter.min = 0; meter.max = 100; meter.low = 70; meter.high = 85; meter.optimum = 0;
        const pct = document.createElement("span");
        pct.className = "percent";
        used.append(meter, " ", pct);
        tr.append(used);
      }
      used.querySelector("meter").value = p.capacity_percent;
      used.querySelector(".percent").textContent = p.capacity_percent + " %";
      cell(tr, "size", bytes(p.allocated_bytes) + " / " + bytes(p.size_bytes), true);
      const scrub = p.last_scrub;
      cell(tr, "scrub", scrub
        ? scrub.state + (scrub.end_time > 0 ? " " + epoch(scrub.end_time) : "") + ", " + scrub.errors + " errors"
        : "never");
    });
    if (s.pools.length === 0 && pools.rows.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = document.createElement("td");
      td.colSpan = 5;
      td.textContent = "No pools yet.";
      tr.append(td);
      pools.append(tr);
    }

    const sessions = $("sessions").tBodies[0].rows[0];
    if (sessions) {
      cell(sessions, "iscsi", String(s.sessions.iscsi), true);
      cell(sessions, "nfs", String(s.sessions.nfs), true);
      cell(sessions, "smb", s.sessions.smb === null ? DASH : String(s.sessions.smb), true);
    }
  }

  // ---- charts (uPlot) ----
  const history = { t: [], cpu: [], arc: [], nics: new Map() };
  const charts = {};

  function push(list, v) { list.push(v); if (list.length > KEEP) list.shift(); }

  function record(s) {
    const t = s.at_ms / 1000;
    push(history.t, t);
    push(history.cpu, s.cpu.busy_percent);
    push(history.arc, s.arc ? s.arc.hit_percent : null);
    const seen = new Set();
    for (const n of s.nics) {
      seen.add(n.name);
      if (!history.nics.has(n.name)) {
        // A new link: no values before now.
        history.nics.set(n.name, { rx: history.t.slice(0, -1).map(() => null), tx: history.t.slice(0, -1).map(() => null) });
      }
      const h = history.nics.get(n.name);
      push(h.rx, n.rx_bytes_per_second === null ? null : n.rx_bytes_per_second * 8);
      push(h.tx, n.tx_bytes_per_second === null ? null : n.tx_bytes_per_second * 8);
    }
    for (const [name, h] of history.nics) {
      if (!seen.has(name)) { push(h.rx, null); push(h.tx, null); }
    }
  }

  function width(el) { return Math.max(200, el.clientWidth || 300); }

  function makeChart(id, series, yFormat, range) {
    const el = $(id);
    if (!el || typeof window.uPlot !== "function") return null;
    const wide = el.classList.contains("wide");
    const opts = {
      width: width(el),
      height: wide ? 200 : 140,
      cursor: { drag: { x: false, y: false } },
      legend: { show: wide },
      // With one sample the time range is a point, which uPlot widens to
      // years: show the last two minutes instead.
      scales: { x: { time: true, range: (u, min, max) => (max - min < 120 ? [max - 120, max] : [min, max]) }, y: range ? { range: () => range } : { range: (u, min, max) => [0, Math.max(max || 0, 1)] } },
      axes: [
        { stroke: "#5f6b76", grid: { stroke: "#eef1f4" } },
        { stroke: "#5f6b76", grid: { stroke: "#eef1f4" }, size: 70, values: (u, vals) => vals.map(yFormat) },
      ],
      series: [{}].concat(series.map((s, i) => ({
        label: s, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false,
        value: (u, v) => (v === null || v === undefined ? DASH : yFormat(v)),
      }))),
    };
    el.replaceChildren();
    return new window.uPlot(opts, [[]].concat(series.map(() => [])), el);
  }

  function nicSeriesNames() {
    const names = [];
    for (const name of history.nics.keys()) names.push(name + " in", name + " out");
    return names;
  }

  function draw() {
    const bits = (v) => bitrate(v / 8);
    const pct = (v) => v.toFixed(0) + " %";
    if (!charts.cpu) charts.cpu = makeChart("chart-cpu", ["CPU busy"], pct, [0, 100]);
    if (!charts.arc) charts.arc = makeChart("chart-arc", ["ARC hits"], pct, [0, 100]);
    const names = nicSeriesNames().join("\n");
    if (!charts.nic || charts.nicNames !== names) {
      if (charts.nic) charts.nic.destroy();
      charts.nic = makeChart("chart-nic", nicSeriesNames(), bits, null);
      charts.nicNames = names;
    }
    if (charts.cpu) charts.cpu.setData([history.t, history.cpu]);
    if (charts.arc) charts.arc.setData([history.t, history.arc]);
    if (charts.nic) {
      const data = [history.t];
      for (const h of history.nics.values()) { data.push(h.rx, h.tx); }
      charts.nic.setData(data);
    }
  }

  window.addEventListener("resize", () => {
    for (const [id, chart] of [["chart-cpu", charts.cpu], ["chart-arc", charts.arc], ["chart-nic", charts.nic]]) {
      if (chart) chart.setSize({ width: width($(id)), height: chart.height });
    }
  });

  // ---- the stream ----
  const status = $("dashboard-status");
  const source = new EventSource(status.dataset.stream);
  let stale = null;
  source.addEventListener("sample", (ev) => {
    let s;
    try { s = JSON.parse(ev.data); } catch (e) { return; }
    renderTables(s);
    record(s);
    draw();
    status.classList.remove("error");
    clearTimeout(stale);
    // No event for three intervals: say so (EventSource keeps retrying).
    setText("stream-state", "live, every 2 s");
    stale = setTimeout(() => {
      status.classList.add("error");
      setText("stream-state", "no update for a while: reconnecting…");
    }, 6500);
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      // Refused for good: most likely the session ended.
      window.location.assign("/ui/login?next=/ui/");
    }
  });
})();
