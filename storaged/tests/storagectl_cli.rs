//! Fixture tier: the `storagectl` binary against `storaged --sim` (the QEMU
//! test VM's disks, a fake zpool/zfs) in a temp dir, checking what a shell
//! sees: exit status, standard output and standard error.

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

/// `storaged --sim` whose SATA disk carries a partition table, as the VM
/// test makes it with sfdisk.
fn start() -> (tempfile::TempDir, Background) {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Background::sim_in(dir.path(), &["sda"]).unwrap();
    (dir, daemon)
}

fn storagectl(daemon: &Background, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_storagectl"))
        .arg("--socket")
        .arg(daemon.socket_path())
        .args(args)
        .env_remove("STORAGECTL_SOCKET")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_commands_of_the_vm_test_behave_as_it_expects() {
    let (_dir, daemon) = start();

    let out = storagectl(&daemon, &["--json", "drives"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let drives: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sata = drives["disks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["transport"] == "sata")
        .unwrap();
    assert_eq!(
        (&sata["id"], &sata["verdict"]),
        (&Value::from(SATA), &Value::from("in-use"))
    );

    let mut create = vec!["pool", "create", "tank", "--layout", "stripe"];
    create.extend(NVME);
    let out = storagectl(&daemon, &create);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).to_lowercase().contains("no redundancy"),
        "{}",
        text(&out.stdout)
    );

    for args in [
        &["volume", "create", "tank/vm1", "--size", "256M"][..],
        &["dataset", "create", "tank/share"][..],
    ] {
        let out = storagectl(&daemon, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let out = storagectl(&daemon, &["--json", "pool", "status", "tank"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("ONLINE"));

    // Refused: exit status 1, the server's message on stderr.
    let out = storagectl(
        &daemon,
        &["pool", "create", "scratch", "--layout", "stripe", SATA],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("storagectl: pool scratch: refusing disk"),
        "{stderr}"
    );
    assert!(
        stderr.contains(SATA) && stderr.contains("in-use"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // With --json the error body is printed as the server sent it.
    let out = storagectl(
        &daemon,
        &[
            "--json", "pool", "create", "scratch", "--layout", "stripe", SATA,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains(SATA));

    let out = storagectl(
        &daemon,
        &[
            "pool", "create", "scratch", "--layout", "stripe", SATA, "--force", SATA,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = storagectl(&daemon, &["--json", "pool", "list"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = list["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["scratch", "tank"]);

    // A size storagectl cannot read never reaches the server.
    let out = storagectl(&daemon, &["volume", "create", "tank/vm2", "--size", "big"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a size"),
        "{}",
        text(&out.stderr)
    );
}

fn storagectl_with_input(daemon: &Background, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_storagectl"))
        .arg("--socket")
        .arg(daemon.socket_path())
        .args(args)
        .env_remove("STORAGECTL_SOCKET")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn api_tokens_and_the_password_are_managed_from_storagectl() {
    let (_dir, daemon) = start();
    let out = storagectl_with_input(&daemon, &["setup"], "first password 123\n");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = storagectl(&daemon, &["token", "create", "backup-script"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).lines().next().unwrap().to_string();
    assert!(token.starts_with("istk_"), "{token}");
    let out = storagectl(&daemon, &["token", "list"]);
    assert!(
        text(&out.stdout).contains("backup-script"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        !text(&out.stdout).contains(&token),
        "the list shows the secret"
    );
    let out = storagectl(&daemon, &["token", "create", "bad name!"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("name"), "{}", text(&out.stderr));
    let out = storagectl(&daemon, &["token", "revoke", "backup-script"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = storagectl(&daemon, &["--json", "token", "list"]);
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["tokens"], Value::Array(vec![]), "{list}");

    // The policy applies; a good new password takes effect.
    let out = storagectl_with_input(&daemon, &["password"], "            \n");
    assert!(!out.status.success(), "a blank password was taken");
    let out = storagectl_with_input(&daemon, &["password"], "second password 456\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = storagectl_with_input(&daemon, &["login"], "second password 456\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = storagectl_with_input(&daemon, &["login"], "first password 123\n");
    assert!(!out.status.success(), "the old password still logs in");
}
