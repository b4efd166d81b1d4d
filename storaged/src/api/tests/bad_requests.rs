//! Bodies that are not what an endpoint takes: 4xx naming the field, and
//! nothing changes.

use serde_json::json;

use super::*;
use crate::auth::CREDENTIALS_FILE;

/// Sends `body` to `POST /setup` over HTTPS and checks the answer.
fn refused(
    h: &Harness,
    content_type: &str,
    body: &str,
    status: u16,
    code: &str,
    field: Option<&str>,
) {
    let r = h.https_raw("POST", "/setup", content_type, body.as_bytes());
    assert_eq!(r.status, status, "{body}: {:?}", r.json());
    let (c, f) = error_of(&r);
    assert_eq!(c, code, "{body}");
    assert_eq!(f.as_deref(), field, "{body}");
    if let Some(field) = field {
        let message = r.json().unwrap()["error"]["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(field), "{body}: {message}");
    }
}

#[test]
fn bad_bodies_are_refused_with_the_field_named_and_change_nothing() {
    let h = Harness::with_https();
    let token = h.token();
    let json = "application/json";
    refused(
        &h,
        json,
        "{\"password\": \"x",
        400,
        "malformed_json",
        Some("password"),
    );
    refused(&h, json, "not json", 400, "malformed_json", None);
    refused(&h, json, "", 400, "malformed_json", None);
    refused(
        &h,
        json,
        &format!(r#"{{"token": "{token}", "password": "{PASSWORD}", "admin": true}}"#),
        422,
        "invalid_request",
        Some("admin"),
    );
    refused(
        &h,
        json,
        &format!(r#"{{"token": "{token}", "password": 123456789012345}}"#),
        422,
        "invalid_request",
        Some("password"),
    );
    refused(
        &h,
        json,
        &format!(r#"{{"token": ["{token}"], "password": "{PASSWORD}"}}"#),
        422,
        "invalid_request",
        Some("token"),
    );
    refused(
        &h,
        json,
        &format!(r#"{{"token": "{token}"}}"#),
        422,
        "invalid_request",
        Some("password"),
    );
    refused(&h, json, "[]", 422, "invalid_request", None);
    refused(
        &h,
        "text/plain",
        &format!(r#"{{"token": "{token}", "password": "{PASSWORD}"}}"#),
        415,
        "unsupported_media_type",
        None,
    );
    refused(
        &h,
        "",
        &format!(r#"{{"token": "{token}", "password": "{PASSWORD}"}}"#),
        415,
        "unsupported_media_type",
        None,
    );
    let huge = format!(
        r#"{{"password": "{}"}}"#,
        "x".repeat(crate::api::BODY_LIMIT)
    );
    refused(&h, json, &huge, 413, "payload_too_large", None);

    // Nothing changed: no credentials, the token still unused and working.
    assert!(!h.state_dir().join(CREDENTIALS_FILE).exists());
    assert_eq!(h.unix().get("/setup").unwrap()["setup_required"], true);
    let r = h.https(
        "POST",
        "/setup",
        &[],
        Some(&json!({"token": token, "password": PASSWORD})),
    );
    assert_eq!(r.status, 204);
}

#[test]
fn login_bodies_are_checked_the_same_way() {
    let h = Harness::with_https();
    h.set_password();
    let r = h.https(
        "POST",
        "/login",
        &[],
        Some(&json!({"user": "admin", "password": PASSWORD})),
    );
    assert_eq!(r.status, 422);
    assert_eq!(
        error_of(&r),
        ("invalid_request".into(), Some("user".into()))
    );
    let r = h.https("POST", "/login", &[], Some(&json!({"username": "admin"})));
    assert_eq!(r.status, 422);
    assert_eq!(
        error_of(&r),
        ("invalid_request".into(), Some("password".into()))
    );
    assert!(r.header("set-cookie").is_none());
}
