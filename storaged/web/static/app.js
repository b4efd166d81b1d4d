// ironstor console: the one generic enhancer. A <form data-api="METHOD
// /api/v1/path/{param}"> (or a <button data-api=...>) is sent to the JSON
// API with the CSRF token; see storaged/src/web/mod.rs for the attributes.
// Text goes into the page with textContent only, never as HTML.
"use strict";

(function () {
  // Page scripts' body builders, by the name a form's data-build gives.
  const build = {};
  const SIZE_UNITS = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // "10G", "512 MiB", "1.5T", "4096" -> bytes; throws on anything else.
  function parseSize(text) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?\s*$/i.exec(text);
    if (!m) throw new Error("not a size: " + JSON.stringify(text) + " (e.g. 10G, 512M)");
    return Math.round(parseFloat(m[1]) * SIZE_UNITS[m[2].toUpperCase()]);
  }

  function convert(value, type, label) {
    switch (type) {
      case "number": {
        if (value === "") return null;
        const n = Number(value);
        if (!Number.isFinite(n)) throw new Error(label + ": not a number");
        return n;
      }
      case "bool": return value === true || value === "true" || value === "on" || value === "1";
      case "json":
        if (value === "") return null;
        try { return JSON.parse(value); } catch (e) { throw new Error(label + ": not valid JSON"); }
      case "size": return value === "" ? null : parseSize(value);
      // "a, b c" -> ["a", "b", "c"]; "one\ntwo" (lines) -> ["one", "two"].
      case "list": return String(value).split(/[\s,]+/).filter((v) => v !== "");
      case "lines": return String(value).split(/\r?\n/).map((v) => v.trim()).filter((v) => v !== "");
      default: return value;
    }
  }

  function fieldLabel(el) {
    const label = el.closest("label");
    return (label && label.textContent.trim().split("\n")[0]) || el.name;
  }

  // The JSON body of a form: see the module doc of storaged/src/web.
  function formBody(form) {
    const body = {};
    for (const el of form.elements) {
      const name = el.name;
      if (!name || el.disabled || el.type === "submit" || el.type === "button" || el.type === "file") continue;
      if (el.hasAttribute("data-match")) continue;
      const type = el.getAttribute("data-type") || (el.type === "checkbox" && !el.hasAttribute("value") ? "bool" : "");
      const label = fieldLabel(el);
      if (name.endsWith("[]")) {
        const key = name.slice(0, -2);
        if (!Array.isArray(body[key])) body[key] = [];
        let values = [];
        if (el.type === "checkbox" || el.type === "radio") { if (el.checked) values = [el.value]; }
        else if (el.tagName === "SELECT") values = Array.from(el.selectedOptions, (o) => o.value);
        else if (el.value !== "") values = [el.value];
        for (const v of values) body[key].push(convert(v, type, label));
        continue;
      }
      let value;
      if (el.type === "checkbox") value = el.hasAttribute("value") ? (el.checked ? el.value : null) : el.checked;
      else if (el.type === "radio") { if (!el.checked) continue; value = el.value; }
      else if (el.tagName === "SELECT" && el.multiple) value = Array.from(el.selectedOptions, (o) => o.value);
      else value = el.value;
      if (value === null) continue;
      if (el.hasAttribute("data-omit-empty") && value === "") continue;
      body[name] = Array.isArray(value) ? value.map((v) => convert(v, type, label)) : convert(value, type, label);
    }
    return body;
  }

  // Fills {param} from body[param] (removed from the body).
  function fillPath(path, body) {
    return path.replace(/\{(\w+)\}/g, (_, key) => {
      const v = body[key];
      if (v === undefined || v === null || v === "") throw new Error("missing " + key);
      delete body[key];
      return String(v).split("/").map(encodeURIComponent).join("/");
    });
  }

  function checkMatches(form) {
    for (const el of form.querySelectorAll("[data-match]")) {
      const other = form.elements.namedItem(el.getAttribute("data-match"));
      if (other && other.value !== el.value) throw new Error("The two entries differ.");
    }
  }

  function confirmed(el) {
    const question = el.getAttribute("data-confirm");
    if (!question) return true;
    const expected = el.getAttribute("data-confirm-value");
    if (expected === null) return window.confirm(question);
    const typed = window.prompt(question + "\n\nType: " + expected);
    if (typed === null) return false;
    if (typed.trim() !== expected) throw new Error("Not confirmed: you typed " + JSON.stringify(typed) + ".");
    return true;
  }

  // Sends one request; resolves to the parsed answer (or null), rejects
  // with the API's error message.
  async function call(method, path, body, contentType) {
    const headers = { "X-CSRF-Token": csrfToken(), Accept: "application/json" };
    const options = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      if (contentType) { headers["Content-Type"] = contentType; options.body = body; }
      else { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    }
    const response = await fetch(path, options);
    const text = await response.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (!response.ok) {
      if (response.status === 401 && !path.endsWith("/login") && !path.endsWith("/password")) {
        window.location.assign("/ui/login?next=" + encodeURIComponent(window.location.pathname));
      }
      const message = data && data.error && data.error.message ? data.error.message
        : response.status + " " + (response.statusText || "error");
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function showResult(selector, data) {
    const target = document.querySelector(selector);
    if (!target) return;
    for (const el of target.querySelectorAll("[data-field]")) {
      const v = data ? data[el.getAttribute("data-field")] : undefined;
      // A list of strings (warnings) reads as lines; other objects as JSON.
      const lines = Array.isArray(v) && v.every((x) => typeof x === "string");
      el.textContent = v === undefined || v === null ? "" : lines ? v.join("\n")
        : typeof v === "object" ? JSON.stringify(v) : String(v);
    }
    target.classList.remove("hidden");
  }

  function then(el, data) {
    const show = el.getAttribute("data-show");
    if (show) showResult(show, data);
    const next = el.getAttribute("data-then") || (show ? "none" : "reload");
    if (next === "none") return;
    if (next === "reload") window.location.reload();
    else if (next.startsWith("/")) window.location.assign(next);
  }

  function errorBox(el) {
    return el.querySelector(".error") || (el.form && el.form.querySelector(".error"))
      || (el.parentElement && el.parentElement.querySelector(".error"));
  }

  // data-build="name": a page script's window.ironstor.build[name](body,
  // form) turns the collected body into the one to send (or throws).
  function built(el, body) {
    const name = el.getAttribute("data-build");
    if (!name) return body;
    const fn = build[name];
    if (typeof fn !== "function") throw new Error("This form needs its page script (" + name + "); reload the page.");
    return fn(body, el);
  }

  async function submit(el, bodyOf) {
    const box = errorBox(el);
    if (box) box.textContent = "";
    const spec = el.getAttribute("data-api").trim();
    const space = spec.indexOf(" ");
    const method = spec.slice(0, space).toUpperCase();
    const buttons = el.tagName === "FORM" ? el.querySelectorAll("button, input[type=submit]") : [el];
    try {
      const body = built(el, bodyOf());
      const path = fillPath(spec.slice(space + 1).trim(), body);
      if (!confirmed(el)) return;
      let payload = method === "GET" || (method === "DELETE" && Object.keys(body).length === 0) ? undefined : body;
      let contentType;
      const raw = el.getAttribute("data-raw");
      if (raw) {
        const field = el.elements ? el.elements.namedItem(raw) : null;
        if (!field) throw new Error("no field " + raw);
        payload = field.type === "file" ? field.files[0] : field.value;
        if (!payload) throw new Error("Choose a file or fill in the text first.");
        contentType = el.getAttribute("data-content-type") || "application/octet-stream";
      }
      for (const b of buttons) b.disabled = true;
      const data = await call(method, path, payload, contentType);
      // Page scripts may listen: a new token joins its list.
      el.dispatchEvent(new CustomEvent("ironstor:done", { detail: data, bubbles: true }));
      then(el, data);
    } catch (e) {
      if (box) box.textContent = e.message;
      else window.alert(e.message);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-api")) return;
    ev.preventDefault();
    submit(form, () => { checkMatches(form); return formBody(form); });
  });

  document.addEventListener("click", (ev) => {
    const button = ev.target instanceof Element ? ev.target.closest("button[data-api]") : null;
    if (!button || button.closest("form[data-api]")) return;
    ev.preventDefault();
    submit(button, () => {
      const text = button.getAttribute("data-body");
      if (!text) return {};
      try { return JSON.parse(text); } catch (e) { throw new Error("data-body is not JSON"); }
    });
  });

  // For page scripts (upgrade.js, dashboard.js, settings.js); page
  // scripts add their body builders to `build` (see data-build).
  window.ironstor = { call, csrfToken, parseSize, build };
})();
