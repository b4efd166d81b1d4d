//! Snapshots through the API: data, not state.

use serde_json::json;

use super::datasets::with_tank;
use super::*;

fn names(list: &Value) -> Vec<String> {
    list["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn create_list_roll_back_and_destroy_without_touching_the_state() {
    let h = with_tank();
    h.expect(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/vm1", "size": 1 << 20})),
        201,
    );
    let state = h.footprint().state;
    for snap in ["tank/vm1@a", "tank/vm1@b", "tank@root"] {
        let made = h.expect("POST", "/snapshots", Some(json!({"name": snap})), 201);
        assert_documented("POST", "/snapshots", 201, &made);
    }
    let list = h.expect("GET", "/snapshots?dataset=tank/vm1", None, 200);
    assert_documented("GET", "/snapshots", 200, &list);
    assert_eq!(names(&list), ["tank/vm1@a", "tank/vm1@b"]);
    assert_eq!(list["snapshots"][0]["dataset"], "tank/vm1");
    assert_eq!(list["snapshots"][0]["snapshot"], "a");
    let all = h.expect("GET", "/snapshots", None, 200);
    assert_eq!(names(&all).len(), 3);
    assert_eq!(
        names(&h.expect("GET", "/snapshots?pool=tank", None, 200)).len(),
        3
    );

    // Back to a: b is newer, so it takes destroy_newer.
    let r = h.call(
        "POST",
        "/snapshots/rollback",
        Some(json!({"name": "tank/vm1@a"})),
    );
    assert_eq!(r.status, 409);
    assert!(error_message(&r).contains("tank/vm1@b"));
    let back = h.expect(
        "POST",
        "/snapshots/rollback",
        Some(json!({"name": "tank/vm1@a", "destroy_newer": true})),
        200,
    );
    assert_documented("POST", "/snapshots/rollback", 200, &back);
    assert_eq!(back["destroyed"], json!(["tank/vm1@b"]));
    assert!(h
        .zfs
        .command_lines()
        .contains(&"zfs rollback -r tank/vm1@a".to_string()));
    assert_eq!(
        names(&h.expect("GET", "/snapshots?dataset=tank/vm1", None, 200)),
        ["tank/vm1@a"]
    );
    // The latest snapshot needs no destroy_newer.
    h.expect(
        "POST",
        "/snapshots/rollback",
        Some(json!({"name": "tank@root"})),
        200,
    );

    let gone = h.expect("DELETE", "/snapshots/tank/vm1@a", None, 200);
    assert_documented("DELETE", "/snapshots/{name}", 200, &gone);
    assert_eq!(gone["name"], "tank/vm1@a");
    assert!(!h.zfs.exists("tank/vm1@a"));
    assert_eq!(h.footprint().state, state, "snapshots are not state");
}
