//! Several vdevs, maintenance (replace, online, offline, clear), the last
//! scrub, importable pools and adoption, and the drives with one serial,
//! through the API on the simulated machine.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::zfs::Layout;

fn state_json(h: &Harness) -> Value {
    let text = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn mirror(h: &Harness, disks: &[&str]) {
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "mirror", "disks": disks})),
        201,
    );
}

/// Sends a request that must be refused with `status` (and `field`), and
/// checks that the state did not change and that only listings ran, or
/// the one `zpool` command (starting with `refused_by_zpool`) that
/// `zpool` itself refused.
#[track_caller]
fn refused(
    h: &Harness,
    method: &str,
    path: &str,
    body: Value,
    status: u16,
    field: Option<&str>,
) -> String {
    refused_ran(h, method, path, body, status, field, None)
}

#[track_caller]
fn refused_ran(
    h: &Harness,
    method: &str,
    path: &str,
    body: Value,
    status: u16,
    field: Option<&str>,
    refused_by_zpool: Option<&str>,
) -> String {
    let before = h.footprint();
    let r = h.call(method, path, Some(body));
    let (_, got_field) = error_of(&r);
    let message = error_message(&r);
    assert_eq!(r.status, status, "{method} {path}: {message}");
    assert_eq!(got_field.as_deref(), field, "{method} {path}: {message}");
    let after = h.footprint();
    assert_eq!(after.state, before.state, "{path}: the state changed");
    for command in &after.commands[before.commands.len()..] {
        assert!(
            command.starts_with("zpool list ")
                || command.starts_with("zpool status ")
                || command == "zpool import -d /dev/disk/by-id"
                || refused_by_zpool.is_some_and(|p| command.starts_with(p)),
            "{path}: ran {command}"
        );
    }
    message
}

#[test]
fn striped_mirrors_are_created_from_vdevs_and_declared_with_them() {
    let h = Harness::local();
    let created = h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "vdevs": [
            {"layout": "mirror", "disks": &NVME[..2]},
            {"layout": "mirror", "disks": &NVME[2..]},
        ]})),
        201,
    );
    assert_documented("POST", "/pools", 201, &created);
    let command = created["commands"][0].as_str().unwrap();
    let by_id = |i: usize| format!("/dev/disk/by-id/{}", NVME[i]);
    assert!(
        command.ends_with(&format!(
            "tank mirror {} {} mirror {} {}",
            by_id(0),
            by_id(1),
            by_id(2),
            by_id(3)
        )),
        "{command}"
    );
    assert_eq!(created["vdevs"], json!([&NVME[..2], &NVME[2..]]));
    assert_eq!(created["tolerated_failures"], 1);
    assert_eq!(
        state_json(&h)["pools"][0]["vdevs"],
        json!([{"disks": &NVME[..2]}, {"disks": &NVME[2..]}])
    );
    let detail = h.expect("GET", "/pools/tank", None, 200);
    let tops: Vec<&str> = detail["vdevs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(tops, ["mirror-0", "mirror-1"]);
    let list = h.expect("GET", "/pools", None, 200);
    assert_eq!(list["pools"][0]["vdevs"], json!([&NVME[..2], &NVME[2..]]));
    assert_eq!(list["pools"][0]["disks"], json!(NVME));
}

#[test]
fn bad_pool_shapes_are_refused_naming_the_field_and_change_nothing() {
    let h = Harness::local();
    let cases = [
        (
            json!({"name": "tank", "layout": "mirror", "disks": &NVME[..2], "vdevs": [{"layout": "mirror", "disks": &NVME[2..]}]}),
            "vdevs",
            "not both",
        ),
        (
            json!({"name": "tank", "disks": &NVME[..2]}),
            "layout",
            "missing",
        ),
        (
            json!({"name": "tank", "layout": "mirror"}),
            "disks",
            "missing",
        ),
        (json!({"name": "tank", "vdevs": []}), "vdevs", "no vdev"),
        (
            json!({"name": "tank", "vdevs": [{"layout": "mirror", "disks": &NVME[..2]}, {"layout": "raidz1", "disks": &NVME[2..]}]}),
            "vdevs",
            "vdevs[1] is raidz1",
        ),
        (
            json!({"name": "tank", "vdevs": [{"layout": "mirror", "disks": &NVME[..2]}, {"layout": "mirror", "disks": [NVME[2], NVME[3], SATA]}]}),
            "vdevs",
            "same number of disks",
        ),
        (
            json!({"name": "tank", "vdevs": [{"layout": "raidz1", "disks": &NVME[..3]}, {"layout": "raidz1", "disks": [NVME[3], SATA]}]}),
            "disks",
            "raidz1 needs at least 3 disks, 2 given",
        ),
        (
            json!({"name": "tank", "vdevs": [{"layout": "mirror", "disks": &NVME[..2]}, {"layout": "mirror", "disks": [NVME[1], NVME[2]]}]}),
            "disks",
            "more than once",
        ),
        (
            json!({"name": "tank", "vdevs": [{"layout": "mirror", "disks": &NVME[..2], "width": 2}]}),
            "vdevs[0]",
            "width",
        ),
    ];
    for (body, field, words) in cases {
        let before = h.footprint();
        let r = h.call("POST", "/pools", Some(body.clone()));
        let message = error_message(&r);
        assert_eq!(r.status, 422, "{body}: {message}");
        let (_, got) = error_of(&r);
        assert!(
            got.as_deref().is_some_and(|g| g.starts_with(field)),
            "{body}: field {got:?}: {message}"
        );
        assert!(message.contains(words), "{body}: {message}");
        assert_eq!(h.footprint(), before, "{body}: something changed");
        assert_documented("POST", "/pools", 422, &r.json().unwrap());
    }
}

#[test]
fn a_member_is_replaced_by_a_checked_disk_and_the_declaration_follows() {
    let h = Harness::local_with_partitioned(&["sda"]);
    mirror(&h, &NVME[..2]);
    let path = "/pools/tank/replace";

    let msg = refused(
        &h,
        "POST",
        path,
        json!({"old": NVME[3], "new": NVME[2]}),
        404,
        None,
    );
    assert!(msg.contains(NVME[3]), "{msg}");
    let msg = refused(
        &h,
        "POST",
        path,
        json!({"old": NVME[1], "new": NVME[1]}),
        422,
        Some("new"),
    );
    assert!(msg.contains("cannot replace itself"), "{msg}");
    let msg = refused(
        &h,
        "POST",
        path,
        json!({"old": NVME[1], "new": NVME[0]}),
        422,
        Some("new"),
    );
    assert!(msg.contains("a member already"), "{msg}");
    let msg = refused(
        &h,
        "POST",
        path,
        json!({"old": NVME[1], "new": "nvme-NOT_THERE"}),
        422,
        Some("new"),
    );
    assert!(msg.contains("not in the drive inventory"), "{msg}");
    refused(
        &h,
        "POST",
        path,
        json!({"old": NVME[1], "new": "a b"}),
        422,
        Some("new"),
    );
    refused(&h, "POST", path, json!({"old": NVME[1]}), 422, Some("new"));
    refused(
        &h,
        "POST",
        "/pools/nope/replace",
        json!({"old": NVME[1], "new": NVME[2]}),
        404,
        None,
    );
    let msg = refused(
        &h,
        "POST",
        path,
        json!({"old": NVME[1], "new": SATA}),
        409,
        None,
    );
    assert!(msg.contains("in-use") && msg.contains(SATA), "{msg}");

    let replaced = h.expect(
        "POST",
        path,
        Some(json!({"old": NVME[1], "new": NVME[2]})),
        200,
    );
    assert_documented("POST", "/pools/{pool}/replace", 200, &replaced);
    assert_eq!(
        (&replaced["declared"], &replaced["forced"]),
        (&json!(true), &Value::Null)
    );
    assert_eq!(
        replaced["command"],
        format!(
            "zpool replace tank /dev/disk/by-id/{} /dev/disk/by-id/{}",
            NVME[1], NVME[2]
        )
    );
    assert_eq!(
        state_json(&h)["pools"][0]["vdevs"],
        json!([{"disks": [NVME[0], NVME[2]]}])
    );
    let detail = h.expect("GET", "/pools/tank", None, 200);
    assert_eq!(detail["vdevs"][0]["children"][1]["name"], NVME[2]);

    let forced = h.expect(
        "POST",
        path,
        Some(json!({"old": NVME[2], "new": SATA, "force": true})),
        200,
    );
    assert_eq!(forced["forced"], json!({"id": SATA, "verdict": "in-use"}));
    assert!(forced["command"]
        .as_str()
        .unwrap()
        .starts_with("zpool replace -f "));
    let state = state_json(&h);
    assert_eq!(
        state["pools"][0]["vdevs"][0]["disks"],
        json!([NVME[0], SATA])
    );
    assert_eq!(state["pools"][0]["forced"], json!([SATA]));
}

#[test]
fn a_failed_member_is_replaced_and_the_pool_heals() {
    let h = Harness::local();
    mirror(&h, &NVME[..2]);
    h.zfs.set_disk_state(NVME[1], "UNAVAIL");
    assert_eq!(
        h.expect("GET", "/pools/tank", None, 200)["health"],
        "DEGRADED"
    );
    h.expect(
        "POST",
        "/pools/tank/replace",
        Some(json!({"old": NVME[1], "new": NVME[3]})),
        200,
    );
    let detail = h.expect("GET", "/pools/tank", None, 200);
    assert_eq!(detail["health"], "ONLINE");
    assert_eq!(detail["vdevs"][0]["children"][1]["name"], NVME[3]);
    assert_eq!(
        state_json(&h)["pools"][0]["vdevs"],
        json!([{"disks": [NVME[0], NVME[3]]}])
    );
}

#[test]
fn offline_online_and_clear_a_member() {
    let h = Harness::local();
    mirror(&h, &NVME[..2]);

    let off = h.expect(
        "POST",
        "/pools/tank/offline",
        Some(json!({"disk": NVME[1], "temporary": true})),
        200,
    );
    assert_documented("POST", "/pools/{pool}/offline", 200, &off);
    assert_eq!(
        off,
        json!({"pool": "tank", "disk": NVME[1], "command": format!("zpool offline -t tank /dev/disk/by-id/{}", NVME[1])})
    );
    let detail = h.expect("GET", "/pools/tank", None, 200);
    assert_eq!(detail["health"], "DEGRADED");
    assert_eq!(detail["vdevs"][0]["children"][1]["state"], "OFFLINE");

    let msg = refused_ran(
        &h,
        "POST",
        "/pools/tank/offline",
        json!({"disk": NVME[0]}),
        409,
        None,
        Some("zpool offline tank "),
    );
    assert!(msg.contains("no valid replicas"), "{msg}");
    refused(
        &h,
        "POST",
        "/pools/tank/offline",
        json!({"disk": NVME[3]}),
        404,
        None,
    );
    refused(
        &h,
        "POST",
        "/pools/tank/offline",
        json!({"disk": "../x"}),
        422,
        Some("disk"),
    );
    refused(
        &h,
        "POST",
        "/pools/tank/online",
        json!({"disk": NVME[3]}),
        404,
        None,
    );
    refused(
        &h,
        "POST",
        "/pools/tank/online",
        json!({}),
        422,
        Some("disk"),
    );

    let on = h.expect(
        "POST",
        "/pools/tank/online",
        Some(json!({"disk": NVME[1]})),
        200,
    );
    assert_documented("POST", "/pools/{pool}/online", 200, &on);
    assert_eq!(
        h.expect("GET", "/pools/tank", None, 200)["health"],
        "ONLINE"
    );

    h.zfs.set_disk_errors(NVME[0], 0, 0, 7);
    h.zfs.set_disk_state(NVME[1], "FAULTED");
    refused(
        &h,
        "POST",
        "/pools/tank/clear",
        json!({"disk": NVME[3]}),
        404,
        None,
    );
    let cleared = h.expect(
        "POST",
        "/pools/tank/clear",
        Some(json!({"disk": NVME[0]})),
        200,
    );
    assert_documented("POST", "/pools/{pool}/clear", 200, &cleared);
    let detail = h.expect("GET", "/pools/tank", None, 200);
    assert_eq!(detail["vdevs"][0]["children"][0]["errors"]["checksum"], 0);
    assert_eq!(detail["vdevs"][0]["children"][1]["state"], "FAULTED");
    let all = h.expect("POST", "/pools/tank/clear", Some(json!({})), 200);
    assert_eq!(all["disk"], Value::Null);
    assert_eq!(all["command"], "zpool clear tank");
    assert_eq!(
        h.expect("GET", "/pools/tank", None, 200)["health"],
        "ONLINE"
    );
}

#[test]
fn the_pool_detail_shows_the_last_scrub() {
    let h = Harness::local();
    mirror(&h, &NVME[..2]);
    assert!(h.expect("GET", "/pools/tank", None, 200)["scan"].is_null());
    h.expect("POST", "/pools/tank/scrub", None, 200);
    let scan = h.expect("GET", "/pools/tank", None, 200)["scan"].clone();
    assert_eq!(
        (&scan["function"], &scan["state"], &scan["errors"]),
        (&json!("scrub"), &json!("finished"), &json!(0))
    );
    assert!(scan["end_time"].as_u64().unwrap() >= scan["start_time"].as_u64().unwrap());
    assert!(scan["end_time"].as_u64().unwrap() > 0);
}

#[test]
fn importable_pools_are_listed_and_an_undeclared_one_is_adopted_on_import() {
    let h = Harness::local();
    mirror(&h, &NVME[..2]);
    assert_eq!(
        h.expect("GET", "/pools/importable", None, 200),
        json!({"pools": []})
    );
    h.expect("POST", "/pools/tank/export", None, 200);
    for (path, body) in [
        ("/pools/tank/offline", json!({"disk": NVME[0]})),
        ("/pools/tank/clear", json!({})),
        (
            "/pools/tank/replace",
            json!({"old": NVME[0], "new": NVME[2]}),
        ),
    ] {
        let msg = refused(&h, "POST", path, body, 409, None);
        assert!(msg.contains("declared but not imported"), "{path}: {msg}");
    }
    h.zfs
        .add_foreign_pool("old", Layout::Mirror, &[NVME[2], NVME[3]], "nas1");

    let listed = h.expect("GET", "/pools/importable", None, 200);
    assert_documented("GET", "/pools/importable", 200, &listed);
    let names: Vec<(&str, bool)> = listed["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["declared"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("tank", true), ("old", false)]);
    let old = &listed["pools"][1];
    assert_eq!(old["state"], "ONLINE");
    assert!(old["id"].as_str().unwrap().parse::<u64>().is_ok(), "{old}");
    assert_eq!(
        old["members"],
        json!([
            {"name": NVME[2], "state": "ONLINE", "vdev": "mirror-0", "note": null},
            {"name": NVME[3], "state": "ONLINE", "vdev": "mirror-0", "note": null},
        ])
    );

    let msg = refused_ran(
        &h,
        "POST",
        "/pools/old/import",
        json!({}),
        409,
        None,
        Some("zpool import -d /dev/disk/by-id -N -o cachefile=none old"),
    );
    assert!(msg.contains("in use by another system"), "{msg}");
    refused(&h, "POST", "/pools/gone/import", json!({}), 404, None);

    let adopted = h.expect(
        "POST",
        "/pools/old/import",
        Some(json!({"force": true})),
        200,
    );
    assert_documented("POST", "/pools/{pool}/import", 200, &adopted);
    assert_eq!(
        (&adopted["outcome"], &adopted["forced"], &adopted["adopted"]),
        (&json!("imported"), &json!(true), &json!(true))
    );
    let state = state_json(&h);
    let old = state["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "old")
        .unwrap()
        .clone();
    assert_eq!(old["layout"], "mirror");
    assert_eq!(old["vdevs"], json!([{"disks": [NVME[2], NVME[3]]}]));
    assert!(h.zfs.imported_pools().contains(&"old".to_string()));

    // The declared one imports as before, adopting nothing.
    let tank = h.expect("POST", "/pools/tank/import", Some(json!({})), 200);
    assert_eq!(tank["adopted"], false);
}

/// Copies a fixture tree (files and the symlinks sysfs is made of).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
fn two_nvme_with_one_serial_are_both_listed_and_never_pooled_by_the_shared_id() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/drives/qemu-duplicate-nvme-serial");
    // sysfs sits next to the simulated root, the rest below it.
    let h = Harness::local_with_root(|root| {
        copy_tree(&fixture.join("sys"), &root.parent().unwrap().join("sys"));
        copy_tree(&fixture.join("run"), &root.join("run"));
        copy_tree(&fixture.join("proc"), &root.join("proc"));
    });
    let drives = h.expect("GET", "/drives", None, 200);
    let dup: Vec<&Value> = drives["disks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["serial"] == "IRONSTORNVME0002")
        .collect();
    assert_eq!(dup.len(), 2, "{drives}");
    let shared = "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002";
    // The third, which the kernel refused, has no disk but is shown.
    assert_eq!(drives["unattached_nvme"][0]["pci_address"], "0000:00:08.0");
    assert_documented("GET", "/drives", 200, &drives);
    let own: Vec<&str> = dup.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_ne!(own[0], own[1]);
    for d in &dup {
        assert_eq!(d["verdict"], "duplicate-serial");
        assert_eq!(d["shared_ids"], json!([shared]));
        assert_ne!(d["id"], shared);
    }

    let msg = refused(
        &h,
        "POST",
        "/pools",
        json!({"name": "tank", "layout": "mirror", "disks": [NVME[0], shared], "force": [shared]}),
        422,
        Some("disks"),
    );
    assert!(
        msg.contains("nvme2n1") && msg.contains("nvme3n1") && msg.contains(own[0]),
        "{msg}"
    );
    let msg = refused(
        &h,
        "POST",
        "/pools",
        json!({"name": "tank", "layout": "mirror", "disks": [NVME[0], own[0]]}),
        409,
        None,
    );
    assert!(msg.contains("duplicate-serial"), "{msg}");
    let created = h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "mirror", "disks": [NVME[0], own[0]], "force": [own[0]]})),
        201,
    );
    assert_eq!(
        created["forced"],
        json!([{"id": own[0], "verdict": "duplicate-serial"}])
    );
    // The other one cannot come in by the shared name either.
    let msg = refused(
        &h,
        "POST",
        "/pools/tank/replace",
        json!({"old": NVME[0], "new": shared, "force": true}),
        422,
        Some("new"),
    );
    assert!(msg.contains("claim"), "{msg}");
}
