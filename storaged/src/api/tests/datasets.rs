//! Filesystem datasets through the API.

use serde_json::json;

use super::*;

/// A harness with pool `tank` (a stripe over two NVMe).
pub fn with_tank() -> Harness {
    let h = Harness::local();
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "stripe", "disks": &NVME[..2]})),
        201,
    );
    h
}

fn declared(h: &Harness) -> Value {
    let text = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["datasets"].clone()
}

#[test]
fn create_list_set_quota_and_destroy() {
    let h = with_tank();
    let plan = h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/share"})),
        201,
    );
    assert_documented("POST", "/datasets", 201, &plan);
    assert_eq!(plan["target"], "tank/share");
    assert_eq!(
        plan["commands"],
        json!(["zfs create -o sync=standard -o compression=lz4 tank/share"])
    );
    assert_eq!(plan["warnings"], json!([]));
    assert!(h.zfs.exists("tank/share"));
    assert_eq!(
        declared(&h),
        json!([{"name": "tank/share", "properties": {"compression": "lz4", "sync": "standard"}}])
    );

    for path in ["/datasets", "/datasets?pool=tank"] {
        let list = h.expect("GET", path, None, 200);
        assert_documented("GET", "/datasets", 200, &list);
        let names: Vec<&str> = list["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["tank/share"], "{path}");
        assert_eq!(list["datasets"][0]["declared"], true);
        assert_eq!(list["datasets"][0]["type"], "filesystem");
    }

    let set = h.expect(
        "PATCH",
        "/datasets/tank/share",
        Some(json!({"quota": 10u64 << 30})),
        200,
    );
    assert_documented("PATCH", "/datasets/{name}", 200, &set);
    assert_eq!(set["change"], "updated");
    assert_eq!(declared(&h)[0]["properties"]["quota"], 10u64 << 30);
    let list = h.expect("GET", "/datasets?pool=tank", None, 200);
    assert_eq!(list["datasets"][0]["quota"], 10u64 << 30);
    let same = h.expect(
        "PATCH",
        "/datasets/tank/share",
        Some(json!({"quota": 10u64 << 30})),
        200,
    );
    assert_eq!(same["change"], "unchanged");
    let removed = h.expect(
        "PATCH",
        "/datasets/tank/share",
        Some(json!({"quota": null})),
        200,
    );
    assert_eq!(removed["quota"], Value::Null);
    assert!(declared(&h)[0]["properties"].get("quota").is_none());

    let gone = h.expect("DELETE", "/datasets/tank/share", None, 200);
    assert_documented("DELETE", "/datasets/{name}", 200, &gone);
    assert_eq!(gone["destroyed"], json!(["tank/share"]));
    assert!(!h.zfs.exists("tank/share"));
    assert_eq!(declared(&h), json!([]));
}

#[test]
fn nested_datasets_keep_their_children_through_a_quota_change_and_go_recursively() {
    let h = with_tank();
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/media", "compression": "zstd-3", "sync": "always"})),
        201,
    );
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/media/film"})),
        201,
    );
    h.expect(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/media/disk", "size": 1 << 20})),
        201,
    );
    h.expect(
        "PATCH",
        "/datasets/tank/media",
        Some(json!({"quota": 1u64 << 30})),
        200,
    );
    let datasets = declared(&h);
    assert_eq!(datasets.as_array().unwrap().len(), 2);
    assert_eq!(datasets[0]["properties"]["compression"], "zstd-3");
    assert_eq!(datasets[0]["properties"]["sync"], "always");
    assert_eq!(datasets[1]["name"], "tank/media/film");
    let gone = h.expect("DELETE", "/datasets/tank/media?recursive=true", None, 200);
    assert_eq!(
        gone["destroyed"],
        json!(["tank/media", "tank/media/disk", "tank/media/film"])
    );
    assert_eq!(declared(&h), json!([]));
    let text = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    assert!(!text.contains("tank/media"), "{text}");
}

#[test]
fn sync_disabled_is_allowed_with_a_warning() {
    let h = with_tank();
    let plan = h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/scratch", "sync": "disabled", "quota": 1 << 30})),
        201,
    );
    assert_eq!(plan["warnings"][0]["kind"], "sync_disabled");
    assert!(plan["commands"][0]
        .as_str()
        .unwrap()
        .contains("-o quota=1073741824"));
}
