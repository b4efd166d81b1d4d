//! Pools through the API, on the simulated QEMU test VM.

use serde_json::json;

use super::*;
use crate::runner::Program;

fn state_json(h: &Harness) -> Value {
    let text = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn stripe(h: &Harness, name: &str, disks: &[&str]) -> Value {
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": name, "layout": "stripe", "disks": disks})),
        201,
    )
}

#[test]
fn a_stripe_over_the_four_nvme_is_created_declared_and_warned_about() {
    let h = Harness::local();
    let created = stripe(&h, "tank", &NVME);
    assert_documented("POST", "/pools", 201, &created);
    assert_eq!(created["pool"], "tank");
    assert_eq!(created["layout"], "stripe");
    assert_eq!(created["tolerated_failures"], 0);
    assert_eq!(created["forced"], json!([]));
    let mountpoint = h.state_dir().parent().unwrap().join("root/var/mnt/tank");
    assert_eq!(created["mountpoint"], mountpoint.to_str().unwrap());
    let warning = &created["warnings"][0];
    assert_eq!(warning["kind"], "no_redundancy");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("no redundancy"),
        "{warning}"
    );
    let command = created["commands"][0].as_str().unwrap();
    assert!(
        command.starts_with("zpool create -o ashift=12"),
        "{command}"
    );
    assert!(!command.contains(" -f "), "{command}");
    for id in NVME {
        assert!(
            command.contains(&format!("/dev/disk/by-id/{id}")),
            "{command}"
        );
    }
    assert_eq!(h.zfs.imported_pools(), ["tank"]);

    let state = state_json(&h);
    assert_eq!(state["pools"][0]["name"], "tank");
    assert_eq!(state["pools"][0]["layout"], "stripe");
    assert_eq!(state["pools"][0]["vdevs"], json!([{"disks": NVME}]));
    assert_eq!(state["pools"][0]["forced"], json!([]));
}

#[test]
fn list_status_scrub_export_import_and_destroy() {
    let h = Harness::local();
    stripe(&h, "tank", &NVME[..2]);

    let list = h.expect("GET", "/pools", None, 200);
    assert_documented("GET", "/pools", 200, &list);
    let tank = &list["pools"][0];
    assert_eq!(
        (
            &tank["name"],
            &tank["declared"],
            &tank["imported"],
            &tank["health"]
        ),
        (&json!("tank"), &json!(true), &json!(true), &json!("ONLINE"))
    );
    assert!(tank["size"].as_u64().unwrap() > 0);

    let status = h.expect("GET", "/pools/tank", None, 200);
    assert_documented("GET", "/pools/{pool}", 200, &status);
    assert_eq!(status["health"], "ONLINE");
    assert_eq!(status["declared"]["layout"], "stripe");
    assert_eq!(status["vdevs"].as_array().unwrap().len(), 2);
    assert_eq!(status["vdevs"][0]["name"], NVME[0]);

    let scrub = h.expect("POST", "/pools/tank/scrub", None, 200);
    assert_documented("POST", "/pools/{pool}/scrub", 200, &scrub);
    assert_eq!(scrub["outcome"], "started");

    let exported = h.expect("POST", "/pools/tank/export", None, 200);
    assert_documented("POST", "/pools/{pool}/export", 200, &exported);
    assert_eq!(exported["declared"], true);
    assert!(h.zfs.imported_pools().is_empty());
    let list = h.expect("GET", "/pools", None, 200);
    assert_eq!(
        (&list["pools"][0]["declared"], &list["pools"][0]["imported"]),
        (&json!(true), &json!(false))
    );
    assert!(list["pools"][0]["health"].is_null());
    let r = h.call("GET", "/pools/tank", None);
    assert_eq!(r.status, 409);
    assert!(error_message(&r).contains("declared but not imported"));
    assert_eq!(state_json(&h)["pools"][0]["name"], "tank");

    let imported = h.expect("POST", "/pools/tank/import", Some(json!({})), 200);
    assert_documented("POST", "/pools/{pool}/import", 200, &imported);
    assert_eq!(
        (
            &imported["pool"],
            &imported["outcome"],
            &imported["forced"],
            &imported["adopted"]
        ),
        (
            &json!("tank"),
            &json!("imported"),
            &json!(false),
            &json!(false)
        )
    );
    assert_eq!(imported["declared"]["vdevs"][0]["disks"], json!(NVME[..2]));
    let again = h.expect(
        "POST",
        "/pools/tank/import",
        Some(json!({"force": false})),
        200,
    );
    assert_eq!(again["outcome"], "already_imported");

    let destroyed = h.expect(
        "DELETE",
        "/pools/tank",
        Some(json!({"confirm": "tank"})),
        200,
    );
    assert_documented("DELETE", "/pools/{pool}", 200, &destroyed);
    assert_eq!(destroyed["was_declared"], true);
    assert!(h.zfs.imported_pools().is_empty());
    assert_eq!(state_json(&h)["pools"], json!([]));
    assert_eq!(h.expect("GET", "/pools", None, 200), json!({"pools": []}));
}

#[test]
fn raidz2_and_mirror_pools_tolerate_failures_without_warnings() {
    let h = Harness::local();
    let created = h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "raidz2", "disks": NVME})),
        201,
    );
    assert_eq!(created["tolerated_failures"], 2);
    assert_eq!(created["warnings"], json!([]));
    assert!(created["commands"][0]
        .as_str()
        .unwrap()
        .contains(" tank raidz2 /dev/disk/by-id/"));
    let status = h.expect("GET", "/pools/tank", None, 200);
    assert_eq!(status["vdevs"][0]["name"], "raidz2-0");
    assert_eq!(status["vdevs"][0]["children"].as_array().unwrap().len(), 4);
}

#[test]
fn a_partitioned_disk_is_refused_then_taken_when_forced_by_its_id() {
    let h = Harness::local_with_partitioned(&["sda"]);
    assert!(h.zfs.has_partition_table(SATA));
    let body = json!({"name": "scratch", "layout": "stripe", "disks": [SATA]});
    let before = h.footprint();
    let r = h.call("POST", "/pools", Some(body.clone()));
    assert_eq!(r.status, 409);
    let message = error_message(&r);
    assert!(
        message.contains(SATA) && message.contains("in-use") && message.contains("GPT"),
        "{message}"
    );
    assert!(message.contains("force"), "{message}");
    assert_eq!(h.footprint(), before);

    let mut forced = body;
    forced["force"] = json!([SATA]);
    let created = h.expect("POST", "/pools", Some(forced), 201);
    assert_eq!(
        created["forced"],
        json!([{"id": SATA, "verdict": "in-use"}])
    );
    assert!(created["commands"][0]
        .as_str()
        .unwrap()
        .starts_with("zpool create -f "));
    assert!(!h.zfs.has_partition_table(SATA));
    assert_eq!(state_json(&h)["pools"][0]["forced"], json!([SATA]));
}

#[test]
fn forcing_a_usable_disk_changes_nothing_and_the_boot_stick_is_never_taken() {
    let h = Harness::local();
    let created = h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "mirror", "disks": &NVME[..2], "force": [NVME[0]]})),
        201,
    );
    assert_eq!(created["forced"], json!([]));
    assert!(!created["commands"][0].as_str().unwrap().contains(" -f "));

    let before = h.footprint();
    let r = h.call(
        "POST",
        "/pools",
        Some(json!({"name": "usb", "layout": "stripe", "disks": [STICK], "force": [STICK]})),
    );
    assert_eq!(r.status, 409);
    let message = error_message(&r);
    assert!(
        message.contains(STICK) && message.contains("boot-medium") && message.contains("never"),
        "{message}"
    );
    assert_eq!(h.footprint(), before);
}

#[test]
fn status_shows_vdev_errors_and_a_degraded_pool() {
    let h = Harness::local();
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "mirror", "disks": &NVME[..2]})),
        201,
    );
    h.zfs.set_disk_errors(NVME[1], 3, 0, 7);
    h.zfs.set_disk_state(NVME[1], "FAULTED");
    let status = h.expect("GET", "/pools/tank", None, 200);
    assert_documented("GET", "/pools/{pool}", 200, &status);
    assert_eq!(status["health"], "DEGRADED");
    let disk = &status["vdevs"][0]["children"][1];
    assert_eq!(disk["name"], NVME[1]);
    assert_eq!(disk["state"], "FAULTED");
    assert_eq!(
        disk["errors"],
        json!({"read": 3, "write": 0, "checksum": 7})
    );
    assert!(status["status"].as_str().unwrap().contains("faulted"));
}

#[test]
fn destroying_a_pool_undeclares_everything_in_it() {
    let h = Harness::local();
    stripe(&h, "tank", &NVME[..1]);
    stripe(&h, "bulk", &NVME[1..2]);
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/share"})),
        201,
    );
    h.expect(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/share/vm1", "size": 1 << 20})),
        201,
    );
    h.expect("POST", "/datasets", Some(json!({"name": "bulk/keep"})), 201);
    let destroyed = h.expect(
        "DELETE",
        "/pools/tank",
        Some(json!({"confirm": "tank"})),
        200,
    );
    assert_eq!(
        destroyed["undeclared"],
        json!(["tank/share", "tank/share/vm1"])
    );
    let state = state_json(&h);
    assert_eq!(state["pools"].as_array().unwrap().len(), 1);
    assert_eq!(state["datasets"][0]["name"], "bulk/keep");
    assert_eq!(state["volumes"], json!([]));
}

#[test]
fn a_failed_zpool_create_leaves_the_state_as_it_was() {
    let h = Harness::local();
    stripe(&h, "tank", &NVME[..1]);
    let state = h.footprint().state;
    h.zfs.fail_next(
        Program::Zpool,
        &["create"],
        "internal error: the kernel module went away",
    );
    let r = h.call(
        "POST",
        "/pools",
        Some(json!({"name": "bulk", "layout": "stripe", "disks": [NVME[1]]})),
    );
    assert_eq!(r.status, 500);
    let message = error_message(&r);
    assert!(
        message.contains("zpool create") && message.contains("the kernel module went away"),
        "{message}"
    );
    assert_eq!(h.footprint().state, state);
    // The same pool on disks another (undeclared) pool holds: zpool says so.
    h.zfs.fail_next(
        Program::Zpool,
        &["create"],
        "cannot create 'bulk': pool already exists",
    );
    let r = h.call(
        "POST",
        "/pools",
        Some(json!({"name": "bulk", "layout": "stripe", "disks": [NVME[1]]})),
    );
    assert_eq!(r.status, 409);
    assert_eq!(h.footprint().state, state);
}

#[test]
fn pools_stay_declared_across_a_restart() {
    let h = Harness::local();
    stripe(&h, "tank", &NVME);
    let h = h.restart();
    let list = h.expect("GET", "/pools", None, 200);
    assert_eq!(list["pools"][0]["name"], "tank");
    assert_eq!(list["pools"][0]["declared"], true);
}

/// The fixture daemon used to skip the start-up reconcile that `storaged`
/// runs (issue 10): after a power cycle its pools stayed exported.
#[test]
fn the_fixture_daemon_imports_declared_pools_at_start_like_storaged() {
    let h = Harness::local();
    stripe(&h, "tank", &NVME[..2]);
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/media"})),
        201,
    );
    let h = h.reboot();
    let list = h.expect("GET", "/pools", None, 200);
    assert_eq!(list["pools"][0]["name"], "tank");
    assert_eq!(list["pools"][0]["imported"], true, "{list}");
    let datasets = h.expect("GET", "/datasets", None, 200);
    assert_eq!(datasets["datasets"][0]["name"], "tank/media", "{datasets}");
    assert_eq!(datasets["datasets"][0]["declared"], true);
}
