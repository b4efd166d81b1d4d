//! The console's facts, a new setup token from the console only, and the
//! machine's power through the fake runner.

use serde_json::json;

use super::*;
use crate::engine::console;

fn login(h: &Harness) -> String {
    let r = h.https("POST", "/login", &[], Some(&json!({"password": PASSWORD})));
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json().unwrap()["token"].as_str().unwrap().to_string()
}

#[test]
fn the_local_socket_sees_the_facts_and_the_setup_token() {
    let h = Harness::with_https();
    let facts = h.expect("GET", "/console", None, 200);
    assert_documented("GET", "/console", 200, &facts);
    assert_eq!(facts["setup_required"], true);
    assert_eq!(facts["setup_token"], h.token());
    assert_eq!(
        facts["addresses"][0],
        json!({"interface": "ens3", "address": "10.0.2.15", "prefix": 24})
    );
    let port = h.daemon.https_addr().unwrap().port();
    assert_eq!(
        facts["https_urls"],
        json!([
            format!("https://10.0.2.15:{port}/"),
            format!("https://[fec0::5054:ff:fe12:3456]:{port}/"),
        ])
    );
    let fingerprint = crate::tls::fingerprint::sha256(&h.certificate());
    assert_eq!(facts["certificate_fingerprint_sha256"], fingerprint);
    assert_eq!(facts["open_alerts"], 0);
    assert_eq!(facts["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(facts["health"], json!({"pools": [], "problems": []}));

    h.set_password();
    let facts = h.expect("GET", "/console", None, 200);
    assert_eq!(facts["setup_required"], false);
    assert_eq!(facts["setup_token"], Value::Null);
}

#[test]
fn pools_and_their_health_are_listed() {
    let h = Harness::local();
    let disks = [NVME[0], NVME[1]];
    h.expect(
        "POST",
        "/pools",
        Some(json!({"name": "tank", "layout": "mirror", "disks": disks})),
        201,
    );
    let facts = h.expect("GET", "/console", None, 200);
    assert_eq!(
        facts["health"]["pools"],
        json!([{"name": "tank", "health": "ONLINE"}])
    );
    assert_eq!(facts["certificate_fingerprint_sha256"], Value::Null);
    assert_eq!(facts["https_urls"], json!([]));
}

#[test]
fn the_network_never_sees_the_setup_token() {
    let h = Harness::with_https();
    // Before setup no one can log in over the network, so the facts need
    // a session it cannot have yet...
    let r = h.https("GET", "/console", &[], None);
    assert_eq!(r.status, 401);
    // ...and the engine hides the token from any caller not on the socket.
    let dir = tempfile::tempdir().unwrap();
    let app = app_state(dir.path());
    assert!(app.auth.setup_required());
    let shown = console::facts(&app.machine, &app.auth, None, false);
    assert_eq!(shown.setup_token, None);
    let local = console::facts(&app.machine, &app.auth, None, true);
    assert_eq!(local.setup_token, app.auth.setup_token());
    assert!(local.setup_token.is_some());

    h.set_password();
    let token = login(&h);
    let bearer = format!("Bearer {token}");
    let r = h.https("GET", "/console", &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 200);
    let facts = r.json().unwrap();
    assert_eq!(facts["setup_token"], Value::Null);
    assert_eq!(facts["hostname"].as_str().map(str::is_empty), Some(false));
}

#[test]
fn a_new_setup_token_only_from_the_socket_and_only_before_setup() {
    let h = Harness::with_https();
    let old = h.token();
    let r = h.https("POST", "/setup/token", &[], None);
    assert_eq!(r.status, 403);
    assert_eq!(error_of(&r).0, "local_only");
    assert_documented("POST", "/setup/token", 403, &r.json().unwrap());
    // Refused: the old token still stands.
    let facts = h.expect("GET", "/console", None, 200);
    assert_eq!(facts["setup_token"], old);

    let renewed = h.expect("POST", "/setup/token", None, 200);
    assert_documented("POST", "/setup/token", 200, &renewed);
    let new = renewed["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let file = h.config.runtime_dir.join(crate::auth::SETUP_TOKEN_FILE);
    assert_eq!(std::fs::read_to_string(file).unwrap(), format!("{new}\n"));
    let r = h.https(
        "POST",
        "/setup",
        &[],
        Some(&json!({"token": old, "password": PASSWORD})),
    );
    assert_eq!(r.status, 403, "the old token must be dead");
    let r = h.https(
        "POST",
        "/setup",
        &[],
        Some(&json!({"token": new, "password": PASSWORD})),
    );
    assert_eq!(r.status, 204);

    let r = h.call("POST", "/setup/token", None);
    assert_eq!(r.status, 409);
    assert_eq!(error_of(&r).0, "already_set_up");
    let r = h.https("POST", "/setup/token", &[], None);
    assert_eq!(r.status, 403);
}

#[test]
fn reboot_and_shutdown_go_to_systemd_through_the_runner() {
    let h = Harness::with_https();
    h.set_password();
    let r = h.https("POST", "/system/shutdown", &[], None);
    assert_eq!(r.status, 401, "a network caller needs a session");

    for (path, verb) in [
        ("/system/reboot", "reboot"),
        ("/system/shutdown", "poweroff"),
    ] {
        h.zfs.clear_commands();
        let deadline = Instant::now() + Duration::from_secs(10);
        // The one before may still hold the install slot for a moment.
        let mut r = h.call("POST", path, None);
        while r.status == 409 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            r = h.call("POST", path, None);
        }
        assert_eq!(r.status, 202, "{:?}", r.json());
        assert_documented("POST", path, 202, &r.json().unwrap());
        let wanted = format!("systemctl {verb}");
        // The fake runs nothing on the host; it only records the command.
        while !h.zfs.command_lines().contains(&wanted) {
            assert!(
                Instant::now() < deadline,
                "{wanted} never ran: {:?}",
                h.zfs.command_lines()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
