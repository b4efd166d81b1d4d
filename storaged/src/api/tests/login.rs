//! Network access needs a session; the local socket does not.

use serde_json::json;

use super::*;

fn login(h: &Harness) -> String {
    let r = h.https("POST", "/login", &[], Some(&json!({"password": PASSWORD})));
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json().unwrap()["token"].as_str().unwrap().to_string()
}

#[test]
fn https_needs_a_login_and_the_socket_does_not() {
    let h = Harness::with_https();
    h.set_password();
    let r = h.https("GET", "/status", &[], None);
    assert_eq!(r.status, 401);
    assert_eq!(error_of(&r).0, "login_required");
    assert!(r.header("www-authenticate").is_some());
    let r = h.https(
        "GET",
        "/status",
        &[("Authorization", "Bearer not-a-session")],
        None,
    );
    assert_eq!(r.status, 401);

    assert_eq!(h.unix().get("/status").unwrap()["setup_required"], false);
}

#[test]
fn a_login_gives_a_bearer_token_and_a_secure_cookie() {
    let h = Harness::with_https();
    h.set_password();
    let r = h.https(
        "POST",
        "/login",
        &[],
        Some(&json!({"username": "admin", "password": PASSWORD})),
    );
    assert_eq!(r.status, 200);
    let session = r.json().unwrap();
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["username"], "admin");
    assert_eq!(session["expires_in"], 8 * 3600);
    let token = session["token"].as_str().unwrap();
    let cookie = r.header("set-cookie").unwrap();
    assert!(
        cookie.starts_with(&format!("storaged_session={token};")),
        "{cookie}"
    );
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }

    let bearer = format!("Bearer {token}");
    let r = h.https("GET", "/status", &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["version"], env!("CARGO_PKG_VERSION"));
    let cookie = format!("storaged_session={token}");
    let r = h.https("GET", "/status", &[("Cookie", &cookie)], None);
    assert_eq!(r.status, 200);
}

#[test]
fn logout_ends_the_session() {
    let h = Harness::with_https();
    h.set_password();
    let token = login(&h);
    let bearer = format!("Bearer {token}");
    let r = h.https("POST", "/logout", &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = h.https("GET", "/status", &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 401);
    // Another login still works.
    login(&h);
}

#[test]
fn wrong_passwords_and_users_are_refused() {
    let h = Harness::with_https();
    h.set_password();
    for body in [
        json!({"password": "not the password"}),
        json!({"username": "root", "password": PASSWORD}),
    ] {
        let r = h.https("POST", "/login", &[], Some(&body));
        assert_eq!(r.status, 401, "{body}");
        assert_eq!(error_of(&r).0, "invalid_credentials");
        assert!(r.header("set-cookie").is_none());
    }
}

#[test]
fn login_before_setup_points_at_setup() {
    let h = Harness::with_https();
    let r = h.https("POST", "/login", &[], Some(&json!({"password": PASSWORD})));
    assert_eq!(r.status, 409);
    assert_eq!(error_of(&r).0, "setup_required");
}

#[test]
fn public_endpoints_need_no_session() {
    let h = Harness::with_https();
    let r = h.https("GET", "/openapi.json", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["openapi"], "3.0.3");
    let r = h.https("GET", "/setup", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["setup_required"], true);
}

#[test]
fn sessions_end_with_a_restart() {
    let h = Harness::with_https();
    h.set_password();
    let token = login(&h);
    let h = h.restart();
    let bearer = format!("Bearer {token}");
    let r = h.https("GET", "/status", &[("Authorization", &bearer)], None);
    assert_eq!(r.status, 401);
    login(&h);
}
