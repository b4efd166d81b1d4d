//! Fixture tier: what a security probe of `storaged --sim` sent, over the
//! API. Each request is refused with a 4xx naming the field, the daemon
//! keeps answering (no handler panics), and `state.json` keeps its bytes.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use storaged::api::client::{Response, UnixClient};
use storaged::config::Config;
use storaged::daemon::Background;

const NVME: [&str; 2] = [
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000",
    "nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001",
];

struct Sim {
    _dir: tempfile::TempDir,
    state: PathBuf,
    daemon: Background,
}

impl Sim {
    /// A daemon whose machine has `passwd` as its `/etc/passwd`, with the
    /// pool tank and the volume tank/vm1.
    fn start(passwd: &str) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::sim_in(dir.path());
        let etc = config.roots.root.join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(etc.join("passwd"), passwd).unwrap();
        let state = config.state_dir.join("state.json");
        let daemon = Background::sim_in(dir.path(), &[]).unwrap();
        let sim = Sim {
            _dir: dir,
            state,
            daemon,
        };
        sim.ok(
            "POST",
            "/pools",
            json!({"name": "tank", "layout": "mirror", "disks": NVME}),
        );
        sim.ok(
            "POST",
            "/volumes",
            json!({"name": "tank/vm1", "size": 64u64 << 20}),
        );
        sim
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        UnixClient::new(self.daemon.socket_path(), Duration::from_secs(30))
            .request(method, path, &[], body)
            .unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"))
    }

    fn ok(&self, method: &str, path: &str, body: Value) {
        let r = self.call(method, path, Some(&body));
        assert!(
            r.status < 300,
            "{method} {path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }

    /// A refused request: a 4xx naming `field`, a message holding every
    /// one of `mentions`, the state file unchanged. Returns the message.
    #[track_caller]
    fn refused(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        field: &str,
        mentions: &[&str],
    ) -> String {
        let before = std::fs::read(&self.state).unwrap();
        let r = self.call(method, path, body.as_ref());
        let text = String::from_utf8_lossy(&r.body).into_owned();
        assert_eq!(r.status, 422, "{method} {path} {body:?}: {text}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["error"]["field"], field, "{text}");
        let message = answer["error"]["message"].as_str().unwrap().to_string();
        for m in mentions {
            assert!(
                message.contains(m),
                "{method} {path}: {message:?} lacks {m:?}"
            );
        }
        assert_eq!(
            std::fs::read(&self.state).unwrap(),
            before,
            "{method} {path} changed state.json"
        );
        message
    }
}

#[test]
fn dot_dot_names_are_refused_before_zfs_or_lio() {
    let sim = Sim::start("");
    sim.refused(
        "POST",
        "/volumes",
        Some(json!({"name": "tank/../../sda", "size": 64u64 << 20})),
        "name",
        &["tank/../../sda", "\"..\" component"],
    );
    sim.refused(
        "POST",
        "/datasets",
        Some(json!({"name": "tank/./share"})),
        "name",
        &["\".\" component"],
    );
    sim.refused(
        "POST",
        "/snapshots",
        Some(json!({"name": "tank/vm1@.."})),
        "name",
        &["\"..\""],
    );
    let target = json!({
        "iqn": "iqn.2026-11.org.ironstor:probe",
        "portals": ["10.0.2.15:3260"],
        "luns": [{"number": 0, "zvol": "tank/../../sda"}],
        "access": {"mode": "allow_all"},
    });
    sim.refused(
        "POST",
        "/iscsi/targets",
        Some(target),
        "luns[0].zvol",
        &["\"..\" component"],
    );
}

#[test]
fn non_ascii_iqns_are_refused_not_panicked_on() {
    let sim = Sim::start("");
    for iqn in [
        // The date sliced at byte 4, inside the €: the handler panicked.
        "iqn.20€6-11.org.ironstor:x",
        "iqn.2026-1é.org.ironstor:x",
        "iqn.2026-11.org.ironstor:😀",
        "iqn.2026-11.örg.ironstor:x",
    ] {
        let target = json!({
            "iqn": iqn,
            "portals": ["10.0.2.15:3260"],
            "luns": [{"number": 0, "zvol": "tank/vm1"}],
            "access": {"mode": "allow_all"},
        });
        sim.refused(
            "POST",
            "/iscsi/targets",
            Some(target),
            "iqn",
            &["invalid iSCSI name", "ASCII"],
        );
        let acl = json!({
            "iqn": "iqn.2026-11.org.ironstor:ok",
            "portals": ["10.0.2.15:3260"],
            "luns": [],
            "access": {"mode": "initiators", "acls": [{"initiator": iqn}]},
        });
        sim.refused(
            "POST",
            "/iscsi/targets",
            Some(acl),
            "access.acls[0].initiator",
            &["invalid iSCSI name", &format!("{iqn:?}")],
        );
        let encoded: String = iqn
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-.".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        sim.refused(
            "GET",
            &format!("/iscsi/targets/{encoded}"),
            None,
            "iqn",
            &["invalid iSCSI name"],
        );
    }
    // The access modes still refuse each other's fields, by name.
    for (access, field) in [
        (json!({"mode": "allow_all", "acls": []}), "access.acls"),
        (
            json!({"mode": "initiators", "acls": [], "chap": null}),
            "access.chap",
        ),
        (json!({"mode": "initiators"}), "access.acls"),
        (json!({"mode": "everyone"}), "access.mode"),
    ] {
        let target = json!({
            "iqn": "iqn.2026-11.org.ironstor:ok",
            "portals": ["10.0.2.15:3260"],
            "access": access,
        });
        sim.refused("POST", "/iscsi/targets", Some(target), field, &[]);
    }
    // Still serving.
    assert_eq!(sim.call("GET", "/iscsi/targets", None).status, 200);
}

#[test]
fn smb_users_cannot_be_system_accounts_or_have_short_passwords() {
    let sim = Sim::start(
        "root:x:0:0:root:/root:/bin/sh\nprobe-svc:x:123:123::/nonexistent:/usr/sbin/nologin\n",
    );
    for name in [
        "root",
        "daemon",
        "sshd",
        "nobody",
        "systemd-network",
        "probe-svc",
    ] {
        sim.refused(
            "POST",
            "/smb/users",
            Some(json!({"name": name, "password": "long enough pw"})),
            "name",
            &[&format!("user name {name} is "), "choose another name"],
        );
    }
    for password in ["x", "1234567", "         "] {
        sim.refused(
            "POST",
            "/smb/users",
            Some(json!({"name": "alice", "password": password})),
            "password",
            &["invalid password"],
        );
    }
    sim.ok(
        "POST",
        "/smb/users",
        json!({"name": "alice", "password": "long enough pw"}),
    );
    sim.refused(
        "PUT",
        "/smb/users/alice/password",
        Some(json!({"password": "short"})),
        "password",
        &["at least 8 characters"],
    );
}
