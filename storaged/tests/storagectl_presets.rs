//! Fixture tier: `storagectl preset ...` and `storagectl ssh ...` against
//! `storaged --sim`, as the owner runs them on the box.

use std::path::PathBuf;
use std::process::{Command, Output};

use storaged::config::Config;
use storaged::daemon::Background;

const NVME: [&str; 2] = [
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
];
const ED25519: &str = include_str!("../src/ssh/testdata/ed25519.pub");
const RSA2048: &str = include_str!("../src/ssh/testdata/rsa2048.pub");

struct Sim {
    dir: tempfile::TempDir,
    state: PathBuf,
    daemon: Background,
}

fn start() -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let state = Config::sim_in(dir.path()).state_dir.join("state.json");
    let daemon = Background::sim_in(dir.path(), &[]).unwrap();
    Sim { dir, state, daemon }
}

fn storagectl(sim: &Sim, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_storagectl"))
        .arg("--socket")
        .arg(sim.daemon.socket_path())
        .args(args)
        .env_remove("STORAGECTL_SOCKET")
        .output()
        .unwrap()
}

fn ok(sim: &Sim, args: &[&str]) -> String {
    let out = storagectl(sim, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Must fail, leaving state.json as it was; returns stderr.
fn refused(sim: &Sim, args: &[&str]) -> String {
    let before = std::fs::read(&sim.state).ok();
    let out = storagectl(sim, args);
    assert_eq!(out.status.code(), Some(1), "{args:?} was not refused");
    assert_eq!(
        std::fs::read(&sim.state).ok(),
        before,
        "{args:?} changed state"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn presets_from_the_command_line() {
    let sim = start();
    let mut create = vec!["pool", "create", "tank", "--layout", "mirror"];
    create.extend(NVME);
    ok(&sim, &create);

    let listed = ok(&sim, &["preset", "list"]);
    assert!(
        listed.contains("pi-nfs-root: Raspberry Pi NFS root"),
        "{listed}"
    );

    let esx = ok(
        &sim,
        &["preset", "vmware-iscsi", "tank/esx", "--size", "1G"],
    );
    assert!(esx.contains("-s -o volblocksize=16384"), "{esx}");
    assert!(esx.contains("warning:"), "{esx}");

    let pi = ok(
        &sim,
        &[
            "preset",
            "pi-nfs-root",
            "tank/pi",
            "--client",
            "10.0.0.50",
            "--server",
            "10.0.0.2",
            "--async",
        ],
    );
    assert!(
        pi.contains("nfsroot=10.0.0.2:/var/mnt/tank/pi,vers=4.1,proto=tcp rw ip=dhcp rootwait"),
        "{pi}"
    );
    assert!(pi.contains("warning: async:"), "{pi}");

    let err = refused(
        &sim,
        &[
            "preset",
            "pi-nfs-root",
            "tank/pi2",
            "--client",
            "10.0.0.0/8",
        ],
    );
    assert!(err.contains("client"), "{err}");
    let err = refused(&sim, &["preset", "smb-video", "tank/pi"]);
    assert!(err.contains("tank/pi"), "{err}");
}

#[test]
fn ssh_from_the_command_line() {
    let sim = start();
    let status = ok(&sim, &["ssh", "status"]);
    assert!(status.starts_with("SSH: off\n"), "{status}");
    assert!(status.contains("ssh-ed25519  SHA256:"), "{status}");

    let err = refused(&sim, &["ssh", "enable"]);
    assert!(err.contains("at least one authorized key"), "{err}");

    let weak = sim.dir.path().join("weak.pub");
    std::fs::write(&weak, RSA2048).unwrap();
    let err = refused(&sim, &["ssh", "key", "add", weak.to_str().unwrap()]);
    assert!(
        err.contains("authorized_keys[0]") && err.contains("2048 bits"),
        "{err}"
    );

    let good = sim.dir.path().join("id_ed25519.pub");
    std::fs::write(&good, ED25519).unwrap();
    ok(&sim, &["ssh", "key", "add", good.to_str().unwrap()]);
    let on = ok(&sim, &["ssh", "enable"]);
    assert!(on.contains("SSH: on"), "{on}");
    assert!(on.contains("test@ed25519"), "{on}");

    // The last key of a running service cannot go: it would lock the owner out.
    let err = refused(&sim, &["ssh", "key", "remove", "1"]);
    assert!(err.contains("at least one authorized key"), "{err}");
    ok(&sim, &["ssh", "disable"]);
    let off = ok(&sim, &["ssh", "key", "remove", "1"]);
    assert!(
        off.contains("SSH: off") && off.contains("Authorized keys: none"),
        "{off}"
    );
}
