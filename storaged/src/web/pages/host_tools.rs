//! Host-tools tier: the page scripts' body builders, run by the real
//! `node` (package nodejs) with a stub `window`, and what they build sent
//! to `storaged --sim`, so the forms' JSON is the API's. Fails, rather
//! than skips, when `node` is missing; leave the tier out with
//! `cargo test -- --skip host_tools::`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use super::pools::tests::with_tank;
use crate::web::assets::ASSETS;
use crate::web::tests::{text, Sim};

/// Runs `script` (a page script of `static/`) under node, then calls
/// `window.ironstor.build[builder](body)`; its answer as JSON, or the
/// message it threw as `{"error": ...}`.
fn build(script: &str, builder: &str, body: &Value) -> Value {
    let source = ASSETS
        .iter()
        .find(|(name, _, _)| *name == script)
        .map(|(_, _, bytes)| std::str::from_utf8(bytes).unwrap())
        .unwrap();
    let program = format!(
        "global.window = {{ ironstor: {{ build: {{}}, call: () => Promise.reject(new Error('none')) }}, confirm: () => true }};\n\
         global.document = {{ getElementById: () => null }};\n\
         {source}\n\
         let out;\n\
         try {{ out = window.ironstor.build[{builder:?}]({body}); }} catch (e) {{ out = {{ error: e.message }}; }}\n\
         process.stdout.write(JSON.stringify(out));\n"
    );
    let out = Command::new("node")
        .args(["-e", &program])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run node ({e}): install the nodejs package, or leave this tier \
                 out with `cargo test -- --skip host_tools::`"
            )
        });
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn disks_per_vdev_become_vdevs() {
    let disks = json!(["a", "b", "c", "d"]);
    let two = build(
        "pools.js",
        "poolCreate",
        &json!({"name": "tank", "layout": "mirror", "disks": disks, "force": ["c"], "vdev_width": 2}),
    );
    assert_eq!(
        two,
        json!({"name": "tank", "force": ["c"], "vdevs": [
            {"layout": "mirror", "disks": ["a", "b"]},
            {"layout": "mirror", "disks": ["c", "d"]},
        ]})
    );
    // No width: one vdev, the shape the API has always taken.
    let one = build(
        "pools.js",
        "poolCreate",
        &json!({"name": "tank", "layout": "raidz1", "disks": disks, "force": [], "vdev_width": null}),
    );
    assert_eq!(
        one,
        json!({"name": "tank", "layout": "raidz1", "disks": disks, "force": []})
    );
    let uneven = build(
        "pools.js",
        "poolCreate",
        &json!({"name": "t", "layout": "mirror", "disks": ["a", "b", "c"], "vdev_width": 2}),
    );
    assert!(
        uneven["error"].as_str().unwrap().contains("do not split"),
        "{uneven}"
    );
    let forced_only = build(
        "pools.js",
        "poolCreate",
        &json!({"name": "t", "layout": "mirror", "disks": ["a", "b"], "force": ["c"]}),
    );
    assert!(
        forced_only["error"]
            .as_str()
            .unwrap()
            .contains("not checked"),
        "{forced_only}"
    );
}

#[test]
fn the_target_forms_build_what_the_iscsi_api_takes() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    let r = sim.send(
        "POST",
        "/api/v1/volumes",
        &[],
        Some(&json!({"name": "tank/esx1", "size": 1073741824u64, "sparse": true})),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
    // What app.js collects from #target-create.
    let form = json!({
        "iqn": "iqn.2026-12.org.ironstor:esx",
        "portals": ["0.0.0.0:3260"],
        "lun_zvol": ["tank/esx1"],
        "lun_number": [0],
        "initiators": ["iqn.1998-01.com.vmware:esx1"],
        "allow_all": false,
        "chap_user": "esxuser",
        "chap_secret": "secret123456",
    });
    let target = build("iscsi.js", "iscsiTarget", &form);
    let r = sim.send("POST", "/api/v1/iscsi/targets", &[], Some(&target));
    assert_eq!(r.status, 201, "{target}: {}", text(&r));
    // The edit form: a second LUN, any initiator, CHAP typed again.
    let edit = json!({
        "iqn": "iqn.2026-12.org.ironstor:esx",
        "portals": ["0.0.0.0:3260", "127.0.0.1:3261"],
        "lun_zvol": ["tank/esx1", ""],
        "lun_number": [0, 1],
        "lun_block_size": [4096, 512],
        "lun_read_only": [false, false],
        "initiators": [],
        "allow_all": true,
        "chap_user": "esxuser",
        "chap_secret": "secret123456",
        "mutual_user": "",
        "mutual_secret": "",
    });
    let target = build("iscsi.js", "iscsiTarget", &edit);
    let r = sim.send(
        "PUT",
        "/api/v1/iscsi/targets/iqn.2026-12.org.ironstor:esx",
        &[],
        Some(&target),
    );
    assert_eq!(r.status, 200, "{target}: {}", text(&r));
    let html = text(&sim.get("/ui/iscsi", Some(&cookie)));
    assert!(html.contains("0.0.0.0:3260, 127.0.0.1:3261"), "{html}");
    assert!(html.contains("any initiator, CHAP"), "{html}");
    let chap = build(
        "iscsi.js",
        "discoveryChap",
        &json!({"chap_user": "", "chap_secret": ""}),
    );
    assert_eq!(chap, json!({"chap": null}));
    let r = sim.send("PUT", "/api/v1/iscsi/discovery-chap", &[], Some(&chap));
    assert_eq!(r.status, 200, "{}", text(&r));
}

/// Loads `app.js` (and page scripts) with a fake DOM, submits one fake
/// form, and prints `{sent: {path, method, body}, error}`.
const HARNESS: &str = r#"// Loads app.js with a fake DOM; submits one fake form; prints the request.
const listeners = {};
class FakeElement {
  constructor(tag, attrs, props) { this.tagName = tag; this.attrs = attrs || {}; Object.assign(this, props || {}); }
  getAttribute(k) { return k in this.attrs ? this.attrs[k] : null; }
  hasAttribute(k) { return k in this.attrs; }
  setAttribute(k, v) { this.attrs[k] = v; }
  closest() { return null; }
  querySelector() { return null; }
  querySelectorAll() { return []; }
  dispatchEvent() { return true; }
}
class HTMLFormElement extends FakeElement {}
global.HTMLFormElement = HTMLFormElement;
global.Element = FakeElement;
global.CustomEvent = class { constructor(t, o) { this.type = t; this.detail = o && o.detail; } };
global.document = {
  addEventListener: (t, f) => { listeners[t] = f; },
  querySelector: () => null,
  getElementById: () => null,
};
global.window = { confirm: () => true, prompt: () => null, alert: (m) => { console.log(JSON.stringify({ alert: m })); }, location: { reload() {}, assign() {} } };
let sent = null;
global.fetch = async (path, options) => { sent = { path, method: options.method, body: options.body ? JSON.parse(options.body) : null }; return { ok: true, status: 200, text: async () => "{}" }; };
const fs = require("fs");
const spec = JSON.parse(process.argv[2]);
for (const file of process.argv.slice(3)) eval(fs.readFileSync(file, "utf8"));
const error = { textContent: "" };
const form = new HTMLFormElement("FORM", spec.attrs);
form.elements = spec.fields.map((f) => new FakeElement(f.tag || "INPUT", f.attrs || {}, Object.assign({ type: "text", disabled: false, value: "", checked: false }, f.props)));
for (const el of form.elements) {
  if (el.tagName === "SELECT") el.selectedOptions = (el.options || []).filter((o) => o.selected);
}
form.querySelector = (sel) => (sel === ".error" ? error : null);
form.querySelectorAll = () => [];
listeners.submit({ target: form, preventDefault() {} });
setTimeout(() => { console.log(JSON.stringify({ sent, error: error.textContent })); }, 50);
"#;

/// A form for [`HARNESS`]: its attributes and its fields, each
/// `{tag?, attrs, props: {name, type, value, checked, options?}}`.
fn submit(form: &Value, scripts: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &[u8]| -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let harness = write("harness.js", HARNESS.as_bytes());
    let mut command = Command::new("node");
    command.arg(&harness).arg(form.to_string());
    for script in ["app.js"].iter().chain(scripts) {
        let (_, _, bytes) = ASSETS.iter().find(|(name, _, _)| name == script).unwrap();
        command.arg(write(script, bytes));
    }
    let out = command.output().expect("node runs (package nodejs)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn field(name: &str, kind: &str, value: &str) -> Value {
    json!({"props": {"name": name, "type": kind, "value": value}})
}

#[test]
fn app_js_sends_the_pool_form_through_its_builder() {
    let mut fields = vec![
        field("name", "text", "tank"),
        json!({"tag": "SELECT", "props": {"name": "layout", "type": "select-one", "value": "mirror",
               "options": [{"value": "mirror", "selected": true}]}}),
        json!({"attrs": {"data-type": "number"}, "props": {"name": "vdev_width", "type": "number", "value": "2"}}),
    ];
    for disk in ["d1", "d2", "d3", "d4"] {
        fields.push(json!({"attrs": {"value": disk},
            "props": {"name": "disks[]", "type": "checkbox", "value": disk, "checked": true}}));
        fields.push(json!({"attrs": {"value": disk},
            "props": {"name": "force[]", "type": "checkbox", "value": disk, "checked": disk == "d3"}}));
    }
    let form = json!({
        "attrs": {"data-api": "POST /api/v1/pools", "data-build": "poolCreate"},
        "fields": fields,
    });
    let out = submit(&form, &["pools.js"]);
    assert_eq!(out["error"], "", "{out}");
    assert_eq!(
        out["sent"],
        json!({"path": "/api/v1/pools", "method": "POST", "body": {"name": "tank", "force": ["d3"],
            "vdevs": [{"layout": "mirror", "disks": ["d1", "d2"]}, {"layout": "mirror", "disks": ["d3", "d4"]}]}})
    );
    // Without its page script, the form says so and sends nothing.
    let out = submit(&form, &[]);
    assert!(out["sent"].is_null(), "{out}");
    assert!(
        out["error"].as_str().unwrap().contains("page script"),
        "{out}"
    );
}

#[test]
fn app_js_splits_lists_and_lines() {
    let form = json!({
        "attrs": {"data-api": "PUT /api/v1/ssh"},
        "fields": [
            {"props": {"name": "enabled", "type": "checkbox", "checked": true}},
            {"tag": "TEXTAREA", "attrs": {"data-type": "lines"},
             "props": {"name": "authorized_keys", "type": "textarea",
                       "value": "ssh-ed25519 AAAA one\n\n  ssh-rsa BBBB two  \r\n"}},
            {"attrs": {"data-type": "list"}, "props": {"name": "valid_users", "type": "text", "value": "a, b  c,"}},
            {"attrs": {"data-type": "list"}, "props": {"name": "none", "type": "text", "value": ""}},
        ],
    });
    let out = submit(&form, &[]);
    assert_eq!(out["error"], "", "{out}");
    assert_eq!(
        out["sent"]["body"],
        json!({"enabled": true, "authorized_keys": ["ssh-ed25519 AAAA one", "ssh-rsa BBBB two"],
               "valid_users": ["a", "b", "c"], "none": []})
    );
    assert_eq!(out["sent"]["method"], "PUT");
}
