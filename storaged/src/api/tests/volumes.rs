//! Zvols through the API.

use serde_json::json;

use super::datasets::with_tank;
use super::*;

fn declared(h: &Harness) -> Value {
    let text = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["volumes"].clone()
}

#[test]
fn create_list_resize_and_destroy() {
    let h = with_tank();
    let plan = h.expect(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/vm1", "size": 256u64 << 20})),
        201,
    );
    assert_documented("POST", "/volumes", 201, &plan);
    assert_eq!(
        plan["commands"],
        json!(["zfs create -V 268435456 -o volblocksize=16384 -o volmode=dev -o sync=standard -o compression=lz4 tank/vm1"])
    );
    assert_eq!(
        declared(&h),
        json!([{"name": "tank/vm1", "size_bytes": 268435456u64, "volblocksize": 16384,
                "sparse": false, "sync": "standard", "compression": "lz4"}])
    );

    let list = h.expect("GET", "/volumes?pool=tank", None, 200);
    assert_documented("GET", "/volumes", 200, &list);
    let vm1 = &list["volumes"][0];
    assert_eq!(
        (
            &vm1["name"],
            &vm1["type"],
            &vm1["volsize"],
            &vm1["volmode"],
            &vm1["declared"]
        ),
        (
            &json!("tank/vm1"),
            &json!("volume"),
            &json!(268435456u64),
            &json!("dev"),
            &json!(true)
        )
    );
    assert_eq!(
        h.expect("GET", "/datasets", None, 200),
        json!({"datasets": []})
    );

    let grown = h.expect(
        "PATCH",
        "/volumes/tank/vm1",
        Some(json!({"size": 1u64 << 30})),
        200,
    );
    assert_documented("PATCH", "/volumes/{name}", 200, &grown);
    assert_eq!(grown["change"], "updated");
    assert_eq!(declared(&h)[0]["size_bytes"], 1u64 << 30);
    let shrunk = h.expect(
        "PATCH",
        "/volumes/tank/vm1",
        Some(json!({"size": 512u64 << 20, "shrink": true})),
        200,
    );
    assert_eq!(shrunk["size"], 512u64 << 20);
    assert_eq!(declared(&h)[0]["size_bytes"], 512u64 << 20);

    let gone = h.expect("DELETE", "/volumes/tank/vm1", None, 200);
    assert_documented("DELETE", "/volumes/{name}", 200, &gone);
    assert!(!h.zfs.exists("tank/vm1"));
    assert_eq!(declared(&h), json!([]));
}

#[test]
fn sparse_volumes_warn_about_over_commit_and_keep_their_block_size() {
    let h = with_tank();
    let plan = h.expect(
        "POST",
        "/volumes",
        Some(
            json!({"name": "tank/thin", "size": 1u64 << 30, "sparse": true,
                    "volblocksize": 65536, "compression": "off", "sync": "always"}),
        ),
        201,
    );
    assert_eq!(plan["warnings"][0]["kind"], "thin_provisioned");
    assert_eq!(
        plan["commands"][0],
        "zfs create -V 1073741824 -s -o volblocksize=65536 -o volmode=dev -o sync=always -o compression=off tank/thin"
    );
    let list = h.expect("GET", "/volumes", None, 200);
    assert_eq!(list["volumes"][0]["volblocksize"], 65536);
    assert_eq!(list["volumes"][0]["refreservation"], 0);
}

#[test]
fn a_volume_with_snapshots_needs_a_recursive_destroy() {
    let h = with_tank();
    h.expect(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/vm1", "size": 1 << 20})),
        201,
    );
    h.expect(
        "POST",
        "/snapshots",
        Some(json!({"name": "tank/vm1@a"})),
        201,
    );
    let r = h.call("DELETE", "/volumes/tank/vm1", None);
    assert_eq!(r.status, 409);
    assert!(
        error_message(&r).contains("tank/vm1@a"),
        "{}",
        error_message(&r)
    );
    assert_eq!(declared(&h)[0]["name"], "tank/vm1");
    let gone = h.expect("DELETE", "/volumes/tank/vm1?recursive=true", None, 200);
    assert_eq!(gone["destroyed"], json!(["tank/vm1", "tank/vm1@a"]));
}
