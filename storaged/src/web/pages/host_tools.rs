//! Host-tools tier: the page scripts' body builders, run by the real
//! `node` (package nodejs) with a stub `window`, and what they build sent
//! to `storaged --sim`, so the forms' JSON is the API's. Fails, rather
//! than skips, when `node` is missing; leave the tier out with
//! `cargo test -- --skip host_tools::`.

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
