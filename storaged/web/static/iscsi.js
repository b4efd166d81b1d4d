// ironstor console, iSCSI pages: a target's form fields turned into the
// API's target {iqn, portals, luns, access} and discovery CHAP's body.
"use strict";

(function () {
  // {user, secret, mutual?} from the form's chap fields, or null.
  function chapOf(body) {
    const user = (body.chap_user || "").trim();
    const secret = body.chap_secret || "";
    if (!user) {
      if (secret) throw new Error("CHAP: a secret without a user.");
      return null;
    }
    if (!secret) throw new Error("CHAP: type the secret (secrets are never shown back, so it must be given again).");
    const chap = { user, secret };
    const mutualUser = (body.mutual_user || "").trim();
    if (mutualUser) {
      if (!body.mutual_secret) throw new Error("Mutual CHAP: type its secret too.");
      chap.mutual = { user: mutualUser, secret: body.mutual_secret };
    }
    return chap;
  }

  window.ironstor.build.iscsiTarget = function (body) {
    const portals = body.portals || [];
    if (portals.length === 0) throw new Error("Give at least one portal (address:port, e.g. 0.0.0.0:3260).");
    const numbers = body.lun_number || [];
    const zvols = body.lun_zvol || [];
    const sizes = body.lun_block_size || [];
    const readOnly = body.lun_read_only || [];
    const luns = [];
    zvols.forEach((zvol, i) => {
      if (!zvol) return;
      const number = numbers[i];
      if (number === null || number === undefined) throw new Error("LUN of " + zvol + ": give its number.");
      luns.push({ number, zvol, block_size: sizes[i] || 512, read_only: readOnly[i] === true });
    });
    const chap = chapOf(body);
    let access;
    const initiators = body.initiators || [];
    if (body.allow_all) {
      access = { mode: "allow_all", chap };
    } else {
      if (initiators.length === 0) throw new Error("Name the initiator allowed in (its IQN), or allow any initiator.");
      access = { mode: "initiators", acls: initiators.map((initiator) => ({ initiator, chap })) };
    }
    return { iqn: body.iqn, portals, luns, access };
  };

  window.ironstor.build.discoveryChap = function (body) {
    return { chap: chapOf(body) };
  };
})();
