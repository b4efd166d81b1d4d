//! The snapshots page against `storaged --sim`.

use serde_json::json;

use crate::web::pages::pools::tests::with_tank;
use crate::web::tests::{text, Sim};

#[test]
fn the_snapshots_page_lists_snapshots_with_rollback_and_destroy() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    let r = sim.send(
        "POST",
        "/api/v1/datasets",
        &[],
        Some(&json!({"name": "tank/share"})),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
    let r = sim.send(
        "POST",
        "/api/v1/snapshots",
        &[],
        Some(&json!({"name": "tank/share@before"})),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
    let r = sim.get("/ui/snapshots", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(
        html.contains(r#"<tr data-name="tank/share@before">"#),
        "{html}"
    );
    assert!(html.contains(r#"data-api="POST /api/v1/snapshots/rollback""#));
    assert!(html.contains(
        "data-body='{&quot;destroy_newer&quot;:false,&quot;name&quot;:&quot;tank/share@before&quot;}'"
    ) || html.contains(
        "data-body='{&quot;name&quot;:&quot;tank/share@before&quot;,&quot;destroy_newer&quot;:false}'"
    ), "{html}");
    assert!(html.contains(r#"data-api="DELETE /api/v1/snapshots/tank/share@before""#));
    assert!(html.contains(r#"id="snapshot-create" data-api="POST /api/v1/snapshots""#));
    assert!(html.contains(r#"<option value="tank/share@">"#), "{html}");
    assert!(html.contains(r#"id="snapshots""#));
    assert_eq!(sim.get("/ui/snapshots", None).status, 303);
}

#[test]
fn the_ssh_page_has_what_the_browser_test_drives() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    let html = text(&sim.get("/ui/ssh", Some(&cookie)));
    assert!(
        html.contains(r#"id="ssh-form" data-api="PUT /api/v1/ssh""#),
        "{html}"
    );
    assert!(html.contains(r#"id="ssh-enabled" type="checkbox" name="enabled""#));
    assert!(html.contains(r#"id="ssh-keys" name="authorized_keys" data-type="lines""#));
    for id in ["ssh-submit", "ssh-host-keys"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
    assert!(html.contains("SSH is off."), "{html}");
    assert!(!html.contains(r#"name="enabled" checked"#), "{html}");
    // The page renders what the engine has: switched on with a key, it
    // shows the key, the box ticked, and the host keys' fingerprints.
    let key = include_str!("../../../ssh/testdata/ed25519.pub").trim();
    let body = serde_json::json!({"enabled": true, "authorized_keys": [key]});
    let r = sim.send("PUT", "/api/v1/ssh", &[], Some(&body));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&sim.get("/ui/ssh", Some(&cookie)));
    assert!(html.contains(r#"name="enabled" checked"#), "{html}");
    assert!(
        html.contains(key.split_whitespace().nth(1).unwrap()),
        "{html}"
    );
    assert!(html.contains("SHA256:"), "no host key fingerprint: {html}");
    assert_eq!(sim.get("/ui/ssh", None).status, 303);
}
