//! The console's defences over real sockets: per-address login throttling,
//! Origin and CSRF checks on cookie sessions, password change, API tokens,
//! session expiry and logout.

use serde_json::{json, Value};

use super::net::{ip, Net};
use super::{assert_documented, error_of, PASSWORD};
use crate::api::client::{self, Response};
use crate::auth::csrf_token;
use crate::daemon::Limits;

fn net() -> Net {
    let net = Net::start(Limits::default());
    net.set_password();
    net
}

fn login_from(net: &Net, from: &str) -> Value {
    let r = net.request_from(
        ip(from),
        "POST",
        "/login",
        &[],
        Some(&json!({"password": PASSWORD})),
    );
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json().unwrap()
}

/// One raw request from 127.0.0.1.
fn raw(
    net: &Net,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> Response {
    let mut stream = net.tls_from(ip("127.0.0.1"));
    client::send_raw(
        &mut stream,
        method,
        &format!("/api/v1{path}"),
        headers,
        body,
    )
    .unwrap()
}

/// Before: one shared throttle, so ten wrong passwords from one address
/// refused the admin everywhere for a minute.
#[test]
fn wrong_passwords_from_one_address_do_not_lock_out_another() {
    let net = net();
    for _ in 0..12 {
        let r = net.request_from(
            ip("127.0.0.3"),
            "POST",
            "/login",
            &[],
            Some(&json!({"password": "not the password"})),
        );
        assert!(matches!(r.status, 401 | 429), "{}", r.status);
    }
    let r = net.request_from(
        ip("127.0.0.3"),
        "POST",
        "/login",
        &[],
        Some(&json!({"password": PASSWORD})),
    );
    assert_eq!(r.status, 429, "the guessing address is throttled");
    assert!(r.header("retry-after").is_some());
    login_from(&net, "127.0.0.1");
}

/// Before: ten wrong setup tokens from the network made the right token
/// fail on the local socket.
#[test]
fn wrong_setup_tokens_from_the_network_do_not_block_the_socket() {
    let net = Net::start(Limits::default());
    let token = net.daemon.setup_token().unwrap().to_string();
    for _ in 0..11 {
        let r = net.request_from(
            ip("127.0.0.3"),
            "POST",
            "/setup",
            &[],
            Some(&json!({"token": "AAAA-AAAA-AAAA", "password": PASSWORD})),
        );
        assert!(matches!(r.status, 403 | 429), "{}", r.status);
    }
    let socket =
        client::UnixClient::new(net.daemon.socket_path(), std::time::Duration::from_secs(10));
    let r = socket
        .request(
            "POST",
            "/setup",
            &[],
            Some(&json!({"token": token, "password": PASSWORD})),
        )
        .unwrap();
    assert_eq!(r.status, 204, "{:?}", r.json());
}

/// Before: reboot, rollback and a forced bundle upload took a session
/// cookie with `Origin: evil` and text/plain, form or multipart bodies.
#[test]
fn cross_origin_cookie_requests_that_change_state_are_refused() {
    let net = net();
    let session = login_from(&net, "127.0.0.1");
    let token = session["token"].as_str().unwrap();
    let cookie = format!("storaged_session={token}");
    let csrf = csrf_token(token);
    assert_eq!(session["csrf_token"], csrf.as_str());
    let bodies: [(&str, &[u8]); 4] = [
        ("text/plain", b"x"),
        ("application/x-www-form-urlencoded", b"confirm=tank"),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n--b--\r\n",
        ),
        ("application/octet-stream", b"not a bundle"),
    ];
    let targets = [
        ("POST", "/upgrade/reboot"),
        ("POST", "/upgrade/rollback"),
        ("POST", "/upgrade/bundle?force=true"),
        ("DELETE", "/pools/tank"),
        ("POST", "/tokens"),
    ];
    for (method, path) in targets {
        for (content_type, body) in bodies {
            for headers in [
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Origin", "https://evil.example"),
                ],
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Origin", "https://evil.example"),
                    ("X-CSRF-Token", csrf.as_str()),
                ],
                vec![("Cookie", cookie.as_str()), ("Origin", "null")],
                vec![("Cookie", cookie.as_str())],
                vec![("Cookie", cookie.as_str()), ("Origin", "https://storaged")],
                vec![
                    ("Cookie", cookie.as_str()),
                    ("Origin", "https://storaged"),
                    ("X-CSRF-Token", "0000"),
                ],
            ] {
                let r = raw(&net, method, path, &headers, Some((content_type, body)));
                assert_eq!(
                    r.status,
                    403,
                    "{method} {path} {content_type} {headers:?}: {:?}",
                    String::from_utf8_lossy(&r.body)
                );
                assert_eq!(error_of(&r).0, "csrf_refused");
            }
        }
    }
    // Nothing happened: no token was made.
    let bearer = format!("Bearer {token}");
    let r = net.request_from(
        ip("127.0.0.1"),
        "GET",
        "/tokens",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.json().unwrap()["tokens"], json!([]));
}

#[test]
fn same_origin_with_the_token_and_bearer_without_origin_are_accepted() {
    let net = net();
    let session = login_from(&net, "127.0.0.1");
    let token = session["token"].as_str().unwrap();
    let cookie = format!("storaged_session={token}");
    let csrf = csrf_token(token);
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Origin", "https://storaged"),
        ("X-CSRF-Token", csrf.as_str()),
    ];
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/tokens",
        &headers,
        Some(&json!({"name": "from-page"})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json());
    // Reads need neither.
    let r = net.request_from(
        ip("127.0.0.1"),
        "GET",
        "/tokens",
        &[("Cookie", cookie.as_str())],
        None,
    );
    assert_eq!(r.status, 200);
    let bearer = format!("Bearer {token}");
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/tokens",
        &[("Authorization", &bearer)],
        Some(&json!({"name": "from-script"})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json());
}

#[test]
fn the_session_endpoint_tells_pages_who_and_how_long() {
    let net = net();
    let session = login_from(&net, "127.0.0.1");
    assert_documented("POST", "/login", 200, &session);
    let token = session["token"].as_str().unwrap();
    let cookie = format!("storaged_session={token}");
    let r = net.request_from(
        ip("127.0.0.1"),
        "GET",
        "/session",
        &[("Cookie", &cookie)],
        None,
    );
    assert_eq!(r.status, 200);
    let info = r.json().unwrap();
    assert_documented("GET", "/session", 200, &info);
    assert_eq!(info["username"], "admin");
    assert_eq!(info["kind"], "cookie");
    assert_eq!(info["csrf_token"], csrf_token(token).as_str());
    assert!(info["expires_in"].as_u64().unwrap() > 8 * 3600 - 60);
    let r = net.request_from(ip("127.0.0.1"), "GET", "/session", &[], None);
    assert_eq!(r.status, 401);
}

#[test]
fn a_password_change_checks_the_policy_and_ends_other_sessions() {
    let net = net();
    let mine = login_from(&net, "127.0.0.1")["token"]
        .as_str()
        .unwrap()
        .to_string();
    let other = login_from(&net, "127.0.0.2")["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {mine}");
    let change = |current: &str, new: &str| {
        net.request_from(
            ip("127.0.0.1"),
            "POST",
            "/password",
            &[("Authorization", &bearer)],
            Some(&json!({"current_password": current, "new_password": new})),
        )
    };
    let r = change(PASSWORD, "            ");
    assert_eq!(r.status, 422);
    assert_eq!(
        error_of(&r),
        ("invalid_request".into(), Some("new_password".into()))
    );
    let r = change(PASSWORD, "aaaaaaaaaaaaaaaa");
    assert_eq!(error_of(&r).1.as_deref(), Some("new_password"));
    let r = change("wrong password here", "a fresh passphrase");
    assert_eq!(error_of(&r).1.as_deref(), Some("current_password"));
    let r = change(PASSWORD, "a fresh passphrase");
    assert_eq!(r.status, 204, "{:?}", r.json());
    let status = |token: &str| {
        let b = format!("Bearer {token}");
        net.request_from(
            ip("127.0.0.1"),
            "GET",
            "/status",
            &[("Authorization", &b)],
            None,
        )
        .status
    };
    assert_eq!(status(&mine), 200, "the caller's session stays");
    assert_eq!(status(&other), 401, "other sessions end");
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/login",
        &[],
        Some(&json!({"password": "a fresh passphrase"})),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn api_tokens_authenticate_as_bearer_until_revoked() {
    let net = net();
    let session = login_from(&net, "127.0.0.1")["token"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = format!("Bearer {session}");
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/tokens",
        &[("Authorization", &admin)],
        Some(&json!({"name": "backup"})),
    );
    assert_eq!(r.status, 201);
    let made = r.json().unwrap();
    assert_documented("POST", "/tokens", 201, &made);
    assert_eq!(made["name"], "backup");
    let token = made["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    // A state change with no Origin and no CSRF token: a script.
    let r = net.request_from(
        ip("127.0.0.2"),
        "POST",
        "/tokens",
        &[("Authorization", &bearer)],
        Some(&json!({"name": "second"})),
    );
    assert_eq!(r.status, 201, "{:?}", r.json());
    let r = net.request_from(
        ip("127.0.0.2"),
        "GET",
        "/session",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.json().unwrap()["kind"], "api_token");
    assert_eq!(r.json().unwrap()["token_name"], "backup");
    // Not as a cookie: a page never holds an API token.
    let cookie = format!("storaged_session={token}");
    let r = net.request_from(
        ip("127.0.0.2"),
        "GET",
        "/status",
        &[("Cookie", &cookie)],
        None,
    );
    assert_eq!(r.status, 401);
    let r = net.request_from(
        ip("127.0.0.1"),
        "GET",
        "/tokens",
        &[("Authorization", &admin)],
        None,
    );
    let list = r.json().unwrap();
    assert_documented("GET", "/tokens", 200, &list);
    let names: Vec<&str> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["backup", "second"]);
    assert!(list["tokens"][0]["last_used"].as_u64().is_some());
    assert!(!r.body.windows(token.len()).any(|w| w == token.as_bytes()));
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/tokens",
        &[("Authorization", &admin)],
        Some(&json!({"name": "backup"})),
    );
    assert_eq!(r.status, 409);
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/tokens",
        &[("Authorization", &admin)],
        Some(&json!({"name": "../x"})),
    );
    assert_eq!(
        error_of(&r),
        ("invalid_request".into(), Some("name".into()))
    );
    let r = net.request_from(
        ip("127.0.0.1"),
        "DELETE",
        "/tokens/backup",
        &[("Authorization", &admin)],
        None,
    );
    assert_eq!(r.status, 204);
    let r = net.request_from(
        ip("127.0.0.2"),
        "GET",
        "/status",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 401, "revoked");
    let r = net.request_from(
        ip("127.0.0.1"),
        "DELETE",
        "/tokens/backup",
        &[("Authorization", &admin)],
        None,
    );
    assert_eq!(r.status, 404);
}

#[test]
fn sessions_expire_and_logout_ends_them() {
    let net = Net::start_with(Limits::default(), |config| {
        config.session_ttl = std::time::Duration::from_secs(1);
    });
    net.set_password();
    let login = || {
        login_from(&net, "127.0.0.1")["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let status = |bearer: &str| {
        net.request_from(
            ip("127.0.0.1"),
            "GET",
            "/status",
            &[("Authorization", bearer)],
            None,
        )
        .status
    };
    let bearer = format!("Bearer {}", login());
    assert_eq!(status(&bearer), 200);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(status(&bearer), 401, "expired");

    let bearer = format!("Bearer {}", login());
    let r = net.request_from(
        ip("127.0.0.1"),
        "POST",
        "/logout",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(status(&bearer), 401, "logged out");
}

/// API answers, error answers included, carry a policy that runs nothing
/// (the pages set their own, without inline script).
#[test]
fn api_and_error_answers_carry_a_strict_content_security_policy() {
    let net = net();
    for path in ["/setup", "/no-such-thing", "/status"] {
        let r = net.request_from(ip("127.0.0.1"), "GET", path, &[], None);
        let csp = r
            .header("content-security-policy")
            .unwrap_or_default()
            .to_string();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp:?}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp:?}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
}
