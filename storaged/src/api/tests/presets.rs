//! Presets and SSH through the API, against `storaged --sim`: what each
//! preset declares and what the fake `zfs` holds afterwards, and bad
//! requests that change nothing.

use serde_json::json;

use super::datasets::with_tank;
use super::*;
use crate::runner::{CommandLine, CommandRunner, Program};

fn state(h: &Harness) -> Value {
    let text = std::fs::read_to_string(h.state_dir().join("state.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()
}

/// `zfs get` of one property, as the fake answers it.
fn prop(h: &Harness, name: &str, property: &str) -> String {
    let out = h
        .zfs
        .run(&CommandLine::new(
            Program::Zfs,
            ["get", "-H", "-p", "-o", "value", property, name],
        ))
        .unwrap();
    out.stdout.trim().to_string()
}

#[test]
fn the_catalog_lists_the_three_presets_with_their_warnings() {
    let h = Harness::local();
    let list = h.expect("GET", "/presets", None, 200);
    assert_documented("GET", "/presets", 200, &list);
    let ids: Vec<_> = list["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["vmware-iscsi", "smb-video", "pi-nfs-root"]);
    assert!(list["presets"][0]["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("sparse (thin)"));
}

#[test]
fn vmware_iscsi_makes_a_sparse_16k_zvol_and_adds_it_to_a_target() {
    let h = with_tank();
    let answer = h.expect(
        "POST",
        "/presets/vmware-iscsi",
        Some(json!({"volume": "tank/esx1", "size": 1u64 << 30})),
        201,
    );
    assert_documented("POST", "/presets/vmware-iscsi", 201, &answer);
    assert_eq!(
        answer["volume"]["commands"],
        json!(["zfs create -V 1073741824 -s -o volblocksize=16384 -o volmode=dev -o sync=standard -o compression=lz4 tank/esx1"])
    );
    assert_eq!(answer["lun"], Value::Null);
    assert_eq!(prop(&h, "tank/esx1", "volblocksize"), "16384");
    assert_eq!(prop(&h, "tank/esx1", "refreservation"), "0");
    assert_eq!(
        state(&h)["volumes"],
        json!([{"name": "tank/esx1", "size_bytes": 1u64 << 30, "volblocksize": 16384,
                "sparse": true, "sync": "standard", "compression": "lz4"}])
    );

    let iqn = "iqn.2026-11.org.ironstor:esx";
    h.expect(
        "POST",
        "/iscsi/targets",
        Some(json!({"iqn": iqn, "portals": ["127.0.0.1:3260"],
                    "luns": [{"number": 0, "zvol": "tank/esx1"}],
                    "access": {"mode": "allow_all"}})),
        201,
    );
    let second = h.expect(
        "POST",
        "/presets/vmware-iscsi",
        Some(json!({"volume": "tank/esx2", "size": 1u64 << 30, "target": iqn})),
        201,
    );
    assert_documented("POST", "/presets/vmware-iscsi", 201, &second);
    assert_eq!(second["lun"], json!({"target": iqn, "number": 1}));
    let luns = &state(&h)["iscsi"]["targets"][0]["luns"];
    assert_eq!(luns[1]["zvol"], "tank/esx2");
    assert_eq!(luns.as_array().unwrap().len(), 2);
}

#[test]
fn smb_video_makes_a_1m_dataset_and_a_share_for_named_users() {
    let h = with_tank();
    h.expect(
        "POST",
        "/smb/users",
        Some(json!({"name": "editor", "password": "a good long password"})),
        201,
    );
    let answer = h.expect(
        "POST",
        "/presets/smb-video",
        Some(json!({"dataset": "tank/video", "share": "video", "users": ["editor"]})),
        201,
    );
    assert_documented("POST", "/presets/smb-video", 201, &answer);
    assert_eq!(prop(&h, "tank/video", "recordsize"), "1048576");
    assert_eq!(prop(&h, "tank/video", "compression"), "lz4");
    assert_eq!(prop(&h, "tank/video", "atime"), "off");
    let s = state(&h);
    assert_eq!(s["datasets"][0]["properties"]["recordsize"], 1048576);
    assert_eq!(s["smb"]["shares"][0]["name"], "video");
    assert_eq!(s["smb"]["shares"][0]["valid_users"], json!(["editor"]));
}

#[test]
fn pi_nfs_root_exports_to_one_address_sync_and_answers_the_cmdline() {
    let h = with_tank();
    let answer = h.expect(
        "POST",
        "/presets/pi-nfs-root",
        Some(json!({"dataset": "tank/pi", "client": "192.168.1.50", "server": "192.168.1.2"})),
        201,
    );
    assert_documented("POST", "/presets/pi-nfs-root", 201, &answer);
    assert_eq!(
        answer["cmdline"],
        "console=serial0,115200 console=tty1 root=/dev/nfs nfsroot=192.168.1.2:/var/mnt/tank/pi,vers=4.1,proto=tcp rw ip=dhcp rootwait"
    );
    assert_eq!(answer["server_source"], "request");
    assert_eq!(answer["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(
        state(&h)["nfs"]["exports"],
        json!([{"dataset": "tank/pi", "clients": ["192.168.1.50"], "access": "rw",
                "squash": "no_root_squash", "writes": "sync", "insecure": false}])
    );
    let exports =
        std::fs::read_to_string(h.config.runtime_dir.join("nfs/storaged.exports")).unwrap();
    assert!(exports.contains("192.168.1.50("), "{exports}");
    assert!(exports.contains("no_root_squash"), "{exports}");
    assert!(exports.contains(",sync"), "{exports}");

    // async and insecure only when asked, each with its warning; the
    // address comes from the route when not given.
    let risky = h.expect(
        "POST",
        "/presets/pi-nfs-root",
        Some(
            json!({"dataset": "tank/pi2", "client": "127.0.0.1", "async": true, "insecure": true}),
        ),
        201,
    );
    let warnings = risky["warnings"].to_string();
    assert!(
        warnings.contains("async:") && warnings.contains("insecure:"),
        "{warnings}"
    );
    assert_eq!(risky["server_source"], "route");
    assert!(risky["cmdline"]
        .as_str()
        .unwrap()
        .contains("nfsroot=127.0.0.1:/var/mnt/tank/pi2,"));
    assert_eq!(state(&h)["nfs"]["exports"][1]["writes"], "async");
}

#[test]
fn a_refused_export_destroys_the_new_dataset_and_declares_nothing() {
    let h = with_tank();
    let before = h.footprint().state;
    h.zfs
        .fail_next(Program::Exportfs, &["-ra"], "exportfs: refused");
    let r = h.call(
        "POST",
        "/presets/pi-nfs-root",
        Some(json!({"dataset": "tank/pi", "client": "192.168.1.50", "server": "192.168.1.2"})),
    );
    assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
    let message = r.json().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("tank/pi was destroyed again"), "{message}");
    assert!(message.contains("exportfs: refused"), "{message}");
    assert!(!h.zfs.exists("tank/pi"));
    assert_eq!(h.footprint().state, before);
}

#[test]
fn bad_preset_requests_change_nothing() {
    let h = with_tank();
    h.expect(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/taken"})),
        201,
    );
    let cases = [
        (
            "/presets/vmware-iscsi",
            json!({"volume": "tank/v", "size": 1000}),
            422,
        ),
        (
            "/presets/vmware-iscsi",
            json!({"volume": "tank/../sda", "size": 16384}),
            422,
        ),
        (
            "/presets/vmware-iscsi",
            json!({"volume": "tank/v", "size": 16384, "lun": 3}),
            422,
        ),
        (
            "/presets/vmware-iscsi",
            json!({"volume": "tank/v", "size": 16384, "target": "iqn.2026-11.org.ironstor:none"}),
            404,
        ),
        ("/presets/smb-video", json!({"dataset": "tank/taken"}), 409),
        (
            "/presets/smb-video",
            json!({"dataset": "tank/v", "users": ["editor"]}),
            422,
        ),
        (
            "/presets/smb-video",
            json!({"dataset": "tank/v", "share": "v", "users": ["nobody1"]}),
            422,
        ),
        (
            "/presets/pi-nfs-root",
            json!({"dataset": "tank/p", "client": "10.0.0.0/24"}),
            422,
        ),
        (
            "/presets/pi-nfs-root",
            json!({"dataset": "tank/p", "client": "0.0.0.0"}),
            422,
        ),
        (
            "/presets/pi-nfs-root",
            json!({"dataset": "nopool/p", "client": "10.0.0.9"}),
            422,
        ),
        (
            "/presets/pi-nfs-root",
            json!({"dataset": "tank/p", "client": "10.0.0.9", "sync": true}),
            422,
        ),
    ];
    for (path, body, status) in cases {
        let before = h.footprint();
        let r = h.call("POST", path, Some(body.clone()));
        assert_eq!(
            r.status,
            status,
            "{path} {body}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(h.footprint().state, before.state, "{path} {body}");
        assert!(
            !h.zfs
                .command_lines()
                .iter()
                .skip(before.commands.len())
                .any(|c| c.starts_with("zfs create")),
            "{path} {body} ran zfs create"
        );
    }
}

const ED25519: &str = include_str!("../../ssh/testdata/ed25519.pub");
const RSA2048: &str = include_str!("../../ssh/testdata/rsa2048.pub");

#[test]
fn ssh_is_off_by_default_with_host_keys_and_switches_with_keys_only() {
    let h = Harness::local();
    let off = h.expect("GET", "/ssh", None, 200);
    assert_documented("GET", "/ssh", 200, &off);
    assert_eq!(off["enabled"], false);
    assert_eq!(off["authorized_keys"], json!([]));
    // Made at start (the first boot), before SSH is ever switched on.
    assert_eq!(off["host_key_fingerprints"][0]["type"], "ssh-ed25519");

    let before = h.footprint();
    let r = h.call(
        "PUT",
        "/ssh",
        Some(json!({"enabled": true, "authorized_keys": []})),
    );
    assert_eq!(r.status, 422);
    let r = h.call(
        "PUT",
        "/ssh",
        Some(json!({"enabled": true, "authorized_keys": [ED25519, RSA2048]})),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json().unwrap()["error"]["field"], "authorized_keys[1]");
    assert_eq!(h.footprint(), before);

    h.expect("PUT", "/ssh", Some(json!({"enabled": false})), 200);
    assert!(
        state(&h).get("ssh").is_none(),
        "an unset section is not written"
    );
    let on = h.expect(
        "PUT",
        "/ssh",
        Some(json!({"enabled": true, "authorized_keys": [ED25519]})),
        200,
    );
    assert_documented("PUT", "/ssh", 200, &on);
    assert_eq!(on["authorized_keys"], json!([ED25519.trim()]));
    assert_eq!(
        state(&h)["ssh"],
        json!({"enabled": true, "authorized_keys": [ED25519.trim()]})
    );
    let keys = std::fs::read_to_string(h.state_dir().join("ssh/authorized_keys")).unwrap();
    assert!(keys.contains(ED25519.trim()), "{keys}");
    let h = h.restart();
    assert_eq!(h.expect("GET", "/ssh", None, 200), on);
}
