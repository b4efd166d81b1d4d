// ironstor console, SSH page: fills the form and the host key
// fingerprints from GET /api/v1/ssh; app.js sends the form (PUT).
// Text goes into the page with textContent only.
"use strict";

(function () {
  const enabled = document.getElementById("ssh-enabled");
  const keys = document.getElementById("ssh-keys");
  const hostKeys = document.getElementById("ssh-host-keys");
  const state = document.getElementById("ssh-state");

  // A host key as one line: a string as it is, an object as
  // "type fingerprint".
  function keyLine(key) {
    if (typeof key === "string") return key;
    return [key.type || key.algorithm, key.fingerprint || key.fingerprint_sha256 || key.sha256].filter(Boolean).join(" ");
  }

  window.ironstor.call("GET", "/api/v1/ssh").then((data) => {
    if (!data) return;
    enabled.checked = Boolean(data.enabled);
    keys.value = (data.authorized_keys || []).join("\n");
    const found = data.host_keys || data.host_key_fingerprints || data.fingerprints || [];
    hostKeys.replaceChildren();
    for (const key of found) {
      const li = document.createElement("li");
      li.textContent = keyLine(key);
      hostKeys.appendChild(li);
    }
    if (found.length === 0) {
      const li = document.createElement("li");
      li.textContent = "none yet: they are made when SSH is first switched on";
      hostKeys.appendChild(li);
    }
    if (state && data.running !== undefined) state.textContent = data.running ? "The service is running." : "The service is stopped.";
  }).catch((e) => {
    if (state) state.textContent = "Cannot read the SSH settings: " + e.message;
  });
})();
