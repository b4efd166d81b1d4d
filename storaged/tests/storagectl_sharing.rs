//! Fixture tier: the sharing commands the VM test runs (iSCSI target, NFS
//! export, SMB user and share), against `storaged --sim`, and the bad
//! requests that must be refused naming the culprit with `state.json`
//! unchanged.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use storaged::config::Config;
use storaged::daemon::Background;

const NVME: [&str; 2] = [
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
];
const IQN: &str = "iqn.2026-11.org.ironstor:test";

struct Sim {
    _dir: tempfile::TempDir,
    state: PathBuf,
    runtime: PathBuf,
    daemon: Background,
}

fn start() -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::sim_in(dir.path());
    let state = config.state_dir.join("state.json");
    let runtime = config.runtime_dir.clone();
    let daemon = Background::sim_in(dir.path(), &[]).unwrap();
    Sim {
        _dir: dir,
        state,
        runtime,
        daemon,
    }
}

fn storagectl(sim: &Sim, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_storagectl"))
        .arg("--socket")
        .arg(sim.daemon.socket_path())
        .args(args)
        .env_remove("STORAGECTL_SOCKET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(sim: &Sim, args: &[&str], stdin: &str) -> String {
    let out = storagectl(sim, args, stdin);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs a command that must fail; returns its stderr and checks that
/// state.json is byte-identical afterwards.
fn refused(sim: &Sim, args: &[&str], stdin: &str) -> String {
    let before = std::fs::read(&sim.state).unwrap();
    let out = storagectl(sim, args, stdin);
    assert_eq!(out.status.code(), Some(1), "{args:?} was not refused");
    assert_eq!(
        std::fs::read(&sim.state).unwrap(),
        before,
        "{args:?} changed state.json"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn sharing_commands_serve_and_bad_requests_change_nothing() {
    let sim = start();
    let mut create = vec!["pool", "create", "tank", "--layout", "mirror"];
    create.extend(NVME);
    ok(&sim, &create, "");
    ok(&sim, &["volume", "create", "tank/vm1", "--size", "64M"], "");
    ok(&sim, &["dataset", "create", "tank/share"], "");

    // iSCSI: allow-all behind CHAP, two portals.
    let out = ok(
        &sim,
        &[
            "iscsi",
            "create",
            IQN,
            "--portal",
            "10.0.2.15:3260",
            "--portal",
            "10.0.2.15:3261",
            "--lun",
            "0=tank/vm1",
            "--allow-all",
            "--chap-user",
            "esx",
        ],
        "secretsecret12\n",
    );
    assert!(out.contains("Serving iSCSI target"), "{out}");
    let shown: Value =
        serde_json::from_str(&ok(&sim, &["--json", "iscsi", "show", IQN], "")).unwrap();
    let serial = shown["luns"][0]["serial"].as_str().unwrap().to_string();
    assert_eq!(serial.len(), 32, "{shown}");
    assert!(shown["luns"][0]["naa"]
        .as_str()
        .unwrap()
        .starts_with("naa.6001405"));
    assert_eq!(shown["access"]["chap"]["secret"], "********");
    let claim = shown["esxcli"]["claim_rule"].as_str().unwrap();
    assert!(
        claim.contains("-V IRONSTOR -M ZVOL") && claim.contains("VMW_PSP_RR"),
        "{claim}"
    );
    let text = ok(&sim, &["iscsi", "show", IQN], "");
    assert!(text.contains(&serial) && text.contains("esxcli"), "{text}");
    // The secret is in the state (LIO needs it), the password below is not.
    assert!(std::fs::read_to_string(&sim.state)
        .unwrap()
        .contains("secretsecret12"));

    // NFS and SMB.
    ok(
        &sim,
        &[
            "nfs",
            "add",
            "tank/share",
            "--client",
            "10.0.2.0/24",
            "--rw",
            "--squash",
            "no_root_squash",
        ],
        "",
    );
    let exports = std::fs::read_to_string(sim.runtime.join("nfs/storaged.exports")).unwrap();
    assert!(
        exports.contains("10.0.2.0/24(rw,sync,no_subtree_check,no_root_squash,fsid="),
        "{exports}"
    );
    ok(&sim, &["smb", "user", "add", "alice"], "Pa55word!\n");
    ok(
        &sim,
        &[
            "smb",
            "share",
            "add",
            "share",
            "tank/share",
            "--user",
            "alice",
        ],
        "",
    );
    let smb_conf = std::fs::read_to_string(sim.runtime.join("samba/smb.conf")).unwrap();
    assert!(
        smb_conf.contains("[share]") && smb_conf.contains("valid users = alice"),
        "{smb_conf}"
    );
    let users = ok(&sim, &["smb", "user", "list"], "");
    assert!(
        users.contains("alice") && users.contains("2000") && users.contains("set"),
        "{users}"
    );
    assert!(!std::fs::read_to_string(&sim.state)
        .unwrap()
        .contains("Pa55word"));
    for list in [
        &["iscsi", "list"][..],
        &["nfs", "list"],
        &["smb", "share", "list"],
        &["iscsi", "sessions"],
        &["smb", "sessions"],
        &["nfs", "clients"],
    ] {
        ok(&sim, list, "");
    }

    // Refused, naming what is wrong, state unchanged.
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["volume", "destroy", "tank/vm1"],
            "",
            "served by LUN 0 of iSCSI target",
        ),
        (
            &["dataset", "destroy", "tank/share"],
            "",
            "served by an NFS export",
        ),
        (
            &["smb", "user", "delete", "alice"],
            "",
            "share share lists it",
        ),
        (
            &[
                "iscsi",
                "create",
                "iqn.2026-11.org.ironstor:two",
                "--portal",
                "10.0.2.15:3262",
                "--lun",
                "0=tank/share",
                "--allow-all",
            ],
            "",
            "luns[0].zvol: tank/share is not a declared volume",
        ),
        (
            &[
                "iscsi",
                "create",
                "iqn.2026-11.org.ironstor:two",
                "--portal",
                "10.0.2.15:3262",
                "--lun",
                "0=tank/vm1",
                "--allow-all",
            ],
            "",
            "tank/vm1 already backs another LUN",
        ),
        (
            &[
                "iscsi",
                "create",
                "iqn.2026-11.org.ironstor:two",
                "--portal",
                "0.0.0.0:3260",
                "--allow-all",
            ],
            "",
            "would take the port",
        ),
        (
            &[
                "iscsi",
                "create",
                "iqn.2026-11.org.ironstor:two",
                "--portal",
                "10.0.2.15:3263",
                "--allow-all",
                "--chap-user",
                "u",
            ],
            "short\n",
            "must be 12-16 characters",
        ),
        (
            &[
                "iscsi",
                "create",
                "IQN.bad",
                "--portal",
                "10.0.2.15:3263",
                "--allow-all",
            ],
            "",
            "iSCSI name",
        ),
        (
            &["nfs", "add", "tank/nope", "--client", "*"],
            "",
            "tank/nope is not a declared dataset",
        ),
        (
            &["nfs", "add", "tank/share", "--client", "10.0.2.0/33"],
            "",
            "10.0.2.0/33",
        ),
        (
            &["smb", "share", "add", "SHARE", "tank/share"],
            "",
            "declared already",
        ),
        (
            &[
                "smb",
                "share",
                "add",
                "other",
                "tank/share",
                "--user",
                "bob",
            ],
            "",
            "bob is not a declared user",
        ),
        (
            &["smb", "user", "add", "alice"],
            "another-pass\n",
            "user alice is already declared",
        ),
        (&["smb", "user", "add", "bob"], "\n", "password"),
        (
            &["smb", "user", "add", "bob"],
            "x\n",
            "must be at least 8 characters",
        ),
        (
            &["iscsi", "delete", "iqn.2026-11.org.ironstor:none"],
            "",
            "not found",
        ),
    ];
    for (args, stdin, expected) in cases {
        let stderr = refused(&sim, args, stdin);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // Nothing half-made: the refused user has no account.
    let passwd = std::fs::read_to_string(
        sim.runtime
            .parent()
            .unwrap()
            .join("root/var/lib/extrausers/passwd"),
    )
    .unwrap();
    assert_eq!(passwd.lines().count(), 1, "{passwd}");

    // Taking it all down in order works.
    ok(&sim, &["smb", "share", "delete", "share"], "");
    ok(&sim, &["smb", "user", "delete", "alice"], "");
    ok(&sim, &["nfs", "delete", "tank/share"], "");
    ok(&sim, &["iscsi", "delete", IQN], "");
    ok(&sim, &["volume", "destroy", "tank/vm1"], "");
}
