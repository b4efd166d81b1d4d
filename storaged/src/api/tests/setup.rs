//! The first-time setup token.

use serde_json::json;
use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::auth::{CREDENTIALS_FILE, SETUP_TOKEN_FILE};

#[test]
fn the_token_has_a_root_only_copy_in_the_runtime_dir() {
    let h = Harness::local();
    let copy = h.config.runtime_dir.join(SETUP_TOKEN_FILE);
    assert_eq!(std::fs::read_to_string(&copy).unwrap().trim(), h.token());
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let r = h.unix().get("/setup").unwrap();
    assert_eq!(r, json!({"setup_required": true}));
}

#[test]
fn a_wrong_or_missing_token_is_refused_over_https() {
    let h = Harness::with_https();
    for body in [
        json!({"token": "AAAA-BBBB-CCCC", "password": PASSWORD}),
        json!({"password": PASSWORD}),
    ] {
        let r = h.https("POST", "/setup", &[], Some(&body));
        assert_eq!(r.status, 403, "{body}");
        assert_eq!(
            error_of(&r),
            ("invalid_setup_token".into(), Some("token".into()))
        );
    }
    assert!(!h.state_dir().join(CREDENTIALS_FILE).exists());
    assert_eq!(h.unix().get("/setup").unwrap()["setup_required"], true);
}

#[test]
fn the_token_works_once() {
    let h = Harness::with_https();
    let token = h.token();
    let body = json!({"token": token, "password": PASSWORD});
    let r = h.https("POST", "/setup", &[], Some(&body));
    assert_eq!(r.status, 204, "{:?}", r.json());
    assert!(!h.config.runtime_dir.join(SETUP_TOKEN_FILE).exists());

    let again = json!({"token": token, "password": "someone else's password"});
    let r = h.https("POST", "/setup", &[], Some(&again));
    assert_eq!(r.status, 409);
    assert_eq!(error_of(&r).0, "already_set_up");
    // The first password still holds.
    let r = h.https("POST", "/login", &[], Some(&json!({"password": PASSWORD})));
    assert_eq!(r.status, 200);

    // A restart prints no new token: setup is done for good.
    let h = h.restart();
    assert_eq!(h.daemon.setup_token(), None);
    assert_eq!(h.unix().get("/setup").unwrap()["setup_required"], false);
}

#[test]
fn a_short_password_is_refused_and_the_token_kept() {
    let h = Harness::with_https();
    let token = h.token();
    let r = h.https(
        "POST",
        "/setup",
        &[],
        Some(&json!({"token": token, "password": "short"})),
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        error_of(&r),
        ("invalid_request".into(), Some("password".into()))
    );
    assert!(!h.state_dir().join(CREDENTIALS_FILE).exists());
    let r = h.https(
        "POST",
        "/setup",
        &[],
        Some(&json!({"token": token, "password": PASSWORD})),
    );
    assert_eq!(r.status, 204);
}

#[test]
fn the_password_is_stored_only_as_an_argon2id_hash() {
    let h = Harness::local();
    h.set_password();
    let path = h.state_dir().join(CREDENTIALS_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(PASSWORD), "{text}");
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["version"], 1);
    let hash = file["users"]["admin"]["password_hash"].as_str().unwrap();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(h.state_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn the_local_socket_sets_up_without_a_token() {
    let h = Harness::local();
    let r = h
        .unix()
        .request("POST", "/setup", &[], Some(&json!({"password": PASSWORD})))
        .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(h.unix().get("/status").unwrap()["setup_required"], false);
}
