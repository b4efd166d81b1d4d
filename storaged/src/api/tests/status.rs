//! Status, and what any route answers when the path or method is wrong.

use super::*;

#[test]
fn status_over_the_socket_reports_version_image_and_slot() {
    let h = Harness::local_with_root(|root| {
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("proc")).unwrap();
        std::fs::write(
            root.join("etc/os-release"),
            "IMAGE_ID=ironstor-qemu\nIMAGE_VERSION=1.2.3\nBUILD_ID=abc\n",
        )
        .unwrap();
        std::fs::write(root.join("proc/cmdline"), "ro ironstor.slot=b\n").unwrap();
        std::fs::create_dir_all(root.join("run/ironstor")).unwrap();
        std::fs::write(root.join("run/ironstor/var"), "partition /dev/sda5\n").unwrap();
    });
    let status = h.unix().get("/status").unwrap();
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["image"]["id"], "ironstor-qemu");
    assert_eq!(status["image"]["version"], "1.2.3");
    assert_eq!(status["image"]["build"], "abc");
    assert_eq!(status["slot"], "b");
    assert_eq!(
        status["var"],
        serde_json::json!({"source": "partition", "device": "/dev/sda5"})
    );
    assert_eq!(status["sim"], true);
    assert_eq!(status["setup_required"], true);
    assert!(status["uptime_seconds"].as_u64().is_some());
    for later in ["drives", "pools", "services"] {
        assert!(status[later].is_null(), "{later}: {status}");
    }
    // The answer has the documented shape and parses as the documented
    // type, with no field left over.
    assert_documented("GET", "/status", 200, &status);
    serde_json::from_value::<crate::api::Status>(status).unwrap();
}

#[test]
fn sim_mode_has_fixture_roots_and_no_https() {
    let h = Harness::local();
    assert_eq!(h.daemon.https_addr(), None);
    for root in [
        &h.config.roots.root,
        &h.config.roots.sysfs,
        &h.config.roots.configfs,
        &h.config.roots.dev,
    ] {
        assert!(
            root.starts_with(h.dir.path()) && root.is_dir(),
            "{}",
            root.display()
        );
    }
    assert!(!h.config.tls_dir.join(crate::tls::CERT_FILE).exists());
}

#[test]
fn the_socket_is_root_only_and_goes_away_at_stop() {
    use std::os::unix::fs::PermissionsExt;
    let h = Harness::local();
    let socket = h.daemon.socket_path().to_path_buf();
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let run_mode = std::fs::metadata(&h.config.runtime_dir)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(run_mode & 0o777, 0o700);
    h.daemon.stop().unwrap();
    assert!(!socket.exists());
}

#[test]
fn unknown_paths_and_methods_answer_json_errors() {
    let h = Harness::local();
    let r = h.unix().request("GET", "/nope", &[], None).unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(error_of(&r).0, "no_route");
    let r = h.unix().request("DELETE", "/status", &[], None).unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(error_of(&r).0, "method_not_allowed");
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[test]
fn many_requests_in_a_row_are_served() {
    let h = Harness::local();
    let client = h.unix();
    for _ in 0..200 {
        client.get("/status").unwrap();
    }
}
