//! Fixture tier: `storagectl pool` with several vdevs and the maintenance
//! subcommands, against `storaged --sim` (the QEMU test VM, its SATA disk
//! partitioned).

use std::process::{Command, Output};

use serde_json::Value;
use storaged::daemon::Background;

const SATA: &str = "ata-QEMU_HARDDISK_IRONSTORSATA0000";
const NVME: [&str; 4] = [
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003",
];

fn storagectl(daemon: &Background, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_storagectl"))
        .arg("--socket")
        .arg(daemon.socket_path())
        .args(args)
        .env_remove("STORAGECTL_SOCKET")
        .output()
        .unwrap()
}

/// Runs a command that must succeed; its standard output.
#[track_caller]
fn ok(daemon: &Background, args: &[&str]) -> String {
    let out = storagectl(daemon, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn striped_mirrors_and_their_maintenance_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Background::sim_in(dir.path(), &["sda"]).unwrap();
    let second = format!("{},{}", NVME[2], NVME[3]);

    let out = ok(
        &daemon,
        &[
            "pool", "create", "tank", "--layout", "mirror", NVME[0], NVME[1], "--vdev", &second,
        ],
    );
    assert!(out.contains("survives 1 failed disk"), "{out}");
    let status = ok(&daemon, &["pool", "status", "tank"]);
    assert!(status.contains("mirror x 2 vdevs"), "{status}");
    assert!(status.contains("mirror-1"), "{status}");

    let out = ok(
        &daemon,
        &["pool", "offline", "tank", NVME[3], "--temporary"],
    );
    assert!(out.contains("until the next import"), "{out}");
    let detail: Value =
        serde_json::from_str(&ok(&daemon, &["--json", "pool", "status", "tank"])).unwrap();
    assert_eq!(detail["health"], "DEGRADED");
    ok(&daemon, &["pool", "online", "tank", NVME[3]]);
    ok(&daemon, &["pool", "clear", "tank"]);

    // Refused without --force: the SATA disk is partitioned.
    let out = storagectl(&daemon, &["pool", "replace", "tank", NVME[3], SATA]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in-use"), "{stderr}");
    let out = ok(
        &daemon,
        &["pool", "replace", "tank", NVME[3], SATA, "--force"],
    );
    assert!(out.contains("Forced"), "{out}");
    let list: Value = serde_json::from_str(&ok(&daemon, &["--json", "pool", "list"])).unwrap();
    assert_eq!(
        list["pools"][0]["vdevs"][1],
        serde_json::json!([NVME[2], SATA])
    );

    ok(&daemon, &["pool", "export", "tank"]);
    let out = ok(&daemon, &["pool", "importable"]);
    assert!(out.contains("tank") && out.contains("mirror-1:"), "{out}");
    let out = ok(&daemon, &["pool", "import", "tank"]);
    assert!(out.contains("Imported pool tank"), "{out}");
    let out = ok(&daemon, &["pool", "importable"]);
    assert!(out.contains("No pools to import"), "{out}");
}
