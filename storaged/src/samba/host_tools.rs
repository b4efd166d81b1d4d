//! Host-tools tier: every rendered `smb.conf` must pass Samba's own
//! checker. This runs the real `testparm` (package samba-common-bin) and
//! fails, rather than skips, when it is missing; leave the tier out with
//! `cargo test -- --skip host_tools::`.

use std::process::Command;

use super::tests::{config, STUDIO};
use super::*;

/// Runs `testparm -s --suppress-prompt <file>` on `text`; returns the
/// problems found (non-zero exit, `ERROR`, `Unknown parameter`), with what
/// testparm printed.
fn testparm_problems(text: &str) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("smb.conf");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("testparm")
        .args(["-s", "--suppress-prompt"])
        .arg(&file)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run testparm ({e}): install the samba-common-bin package, \
                 or leave this tier out with `cargo test -- --skip host_tools::`"
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let bad = !out.status.success()
        || [&stdout, &stderr]
            .iter()
            .any(|s| s.contains("ERROR") || s.contains("Unknown parameter"));
    bad.then(|| format!("{}\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status))
}

#[test]
fn testparm_accepts_every_rendered_config() {
    let configs = [
        ("empty", "{}"),
        ("studio", STUDIO),
        (
            "guest drop box",
            r#"{"shares": [{"name": "drop", "dataset": "tank/drop", "path": "/mnt/tank/drop",
                            "guest_ok": true, "comment": "Anyone may write here"}]}"#,
        ),
        (
            "unusual names",
            r#"{"global": {"workgroup": "HOME.LAN", "server_string": "Büro (2. Stock)"},
                "shares": [{"name": "Café & Bar's files", "dataset": "tank/cafe",
                            "path": "/mnt/tank/café bar", "read_only": true,
                            "valid_users": ["_svc-backup"], "valid_groups": ["staff"]}]}"#,
        ),
    ];
    for (what, json) in configs {
        let text = render_smb_conf(&config(json)).unwrap();
        if let Some(problems) = testparm_problems(&text) {
            panic!("testparm refused the {what} config:\n{text}\n{problems}");
        }
    }
}

/// The check above would notice a bad config: a control, so a testparm
/// that accepts anything cannot make it pass vacuously.
#[test]
fn testparm_check_catches_an_unknown_parameter() {
    let text = render_smb_conf(&config(STUDIO)).unwrap() + "\tno such parameter = yes\n";
    let problems = testparm_problems(&text).expect("testparm should complain");
    assert!(problems.contains("Unknown parameter"), "{problems}");
}
