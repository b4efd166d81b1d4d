//! The NFS page against `storaged --sim`.

use serde_json::json;

use crate::web::pages::pools::tests::with_tank;
use crate::web::tests::{text, Sim};

#[test]
fn the_nfs_page_shows_exports_and_their_warnings() {
    let sim = Sim::with_password();
    let cookie = sim.login();
    with_tank(&sim);
    let r = sim.send(
        "POST",
        "/api/v1/datasets",
        &[],
        Some(&json!({"name": "tank/pi1"})),
    );
    assert_eq!(r.status, 201, "{}", text(&r));
    let export = json!({
        "dataset": "tank/pi1", "clients": ["192.168.1.50"], "access": "rw",
        "squash": "no_root_squash", "writes": "async",
    });
    let r = sim.send("POST", "/api/v1/nfs/exports", &[], Some(&export));
    assert_eq!(r.status, 201, "{}", text(&r));
    let r = sim.get("/ui/nfs", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    assert!(html.contains(r#"<tr data-dataset="tank/pi1">"#), "{html}");
    assert!(html.contains("192.168.1.50"));
    assert!(html.contains("rw,no_root_squash,async"), "{html}");
    // The API's warning about async, in words.
    let api = sim
        .send("GET", "/api/v1/nfs/exports", &[], None)
        .json()
        .unwrap();
    let warning = api["warnings"][0].as_str().expect("an async warning");
    let escaped = warning.replace('"', "&quot;").replace('\'', "&#x27;");
    assert!(html.contains(&escaped), "{warning}: {html}");
    assert!(html.contains(r#"data-api="DELETE /api/v1/nfs/exports/tank/pi1""#));
    assert!(html.contains(r#"id="export-create" data-api="POST /api/v1/nfs/exports""#));
    assert!(html.contains(r#"id="export-clients" name="clients" data-type="list""#));
    for id in ["exports", "nfs-clients", "export-dataset", "export-submit"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
    assert_eq!(sim.get("/ui/nfs", None).status, 303);
}
