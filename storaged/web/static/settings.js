// The settings page: the API token list (GET /api/v1/tokens) with a revoke
// button each, and the certificate's fingerprint. Forms are app.js's.
"use strict";

(function () {
  const { call } = window.ironstor;

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function tokens() {
    const body = document.querySelector("#tokens tbody");
    try {
      const answer = await call("GET", "/api/v1/tokens");
      const list = Array.isArray(answer) ? answer : (answer && answer.tokens) || [];
      body.replaceChildren(...list.map((t) => {
        const tr = document.createElement("tr");
        tr.dataset.token = t.name;
        const revoke = document.createElement("button");
        revoke.textContent = "Revoke";
        revoke.className = "danger small";
        // app.js sends it: DELETE /api/v1/tokens/{name}, then reloads.
        revoke.setAttribute("data-api", "DELETE /api/v1/tokens/" + encodeURIComponent(t.name));
        revoke.setAttribute("data-confirm", "Revoke the token " + t.name + "? Scripts using it stop working.");
        const last = document.createElement("td");
        last.append(revoke);
        tr.append(cell(t.name), cell(t.created || t.created_at || ""), last);
        return tr;
      }));
      if (list.length === 0) {
        const tr = document.createElement("tr");
        const td = cell("No tokens yet.");
        td.colSpan = 3;
        tr.append(td);
        body.replaceChildren(tr);
      }
    } catch (e) {
      const tr = document.createElement("tr");
      const td = cell("Cannot list the tokens: " + e.message);
      td.colSpan = 3;
      td.className = "error";
      tr.append(td);
      body.replaceChildren(tr);
    }
  }

  async function certificate() {
    const out = document.getElementById("certificate-fingerprint");
    try {
      const c = await call("GET", "/api/v1/certificate");
      out.textContent = c.fingerprint_sha256 || "unknown";
    } catch (e) { out.textContent = "unavailable (" + e.message + ")"; }
  }

  // A new token appears in the list too.
  const form = document.getElementById("token-form");
  if (form) form.addEventListener("ironstor:done", tokens);

  tokens();
  certificate();
})();
