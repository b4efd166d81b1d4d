//! The admin account's defences: per-address throttling, the password
//! policy, password change, API tokens and the credentials file's
//! migration.

use std::net::{IpAddr, Ipv4Addr};

use super::throttle::MAX_FAILURES;
use super::*;

const GOOD: &str = "correct horse battery";
const BAD_GUY: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 66)));
const ADMIN_PC: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)));

fn load(dir: &Path) -> Auth {
    Auth::load(dir, dir, Duration::from_secs(60), HashCost::FAST).unwrap()
}

fn set_up(dir: &Path) -> Auth {
    let auth = load(dir);
    auth.set_initial_password(None, None, GOOD, Instant::now())
        .unwrap();
    auth
}

/// Before: one shared counter, so an address looping wrong passwords
/// locked the admin out everywhere.
#[test]
fn wrong_passwords_from_one_address_do_not_lock_out_another() {
    let dir = tempfile::tempdir().unwrap();
    let auth = set_up(dir.path());
    let t0 = Instant::now();
    for _ in 0..MAX_FAILURES * 2 {
        let _ = auth.login(ADMIN_USER, "wrong password!", BAD_GUY, t0);
    }
    assert!(matches!(
        auth.login(ADMIN_USER, GOOD, BAD_GUY, t0),
        Err(AuthError::Throttled { .. })
    ));
    auth.login(ADMIN_USER, GOOD, ADMIN_PC, t0).unwrap();
    auth.login(ADMIN_USER, GOOD, None, t0).unwrap();
}

/// Before: setup shared the login throttle and checked it before the
/// socket's exemption, so ten wrong tokens from the network made the
/// right one fail on the socket.
#[test]
fn wrong_setup_tokens_from_the_network_do_not_block_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let token = auth.setup_token().unwrap();
    let t0 = Instant::now();
    for _ in 0..MAX_FAILURES {
        assert!(matches!(
            auth.set_initial_password(Some("AAAA-AAAA-AAAA"), BAD_GUY, GOOD, t0),
            Err(AuthError::InvalidSetupToken)
        ));
    }
    assert!(matches!(
        auth.set_initial_password(Some(&token), BAD_GUY, GOOD, t0),
        Err(AuthError::Throttled { .. })
    ));
    auth.set_initial_password(Some(&token), None, GOOD, t0)
        .unwrap();
}

#[test]
fn setup_failures_and_login_failures_are_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let t0 = Instant::now();
    for _ in 0..MAX_FAILURES {
        let _ = auth.set_initial_password(Some("AAAA-AAAA-AAAA"), BAD_GUY, GOOD, t0);
    }
    assert!(auth
        .lock()
        .login_failures
        .check(BAD_GUY.unwrap(), t0)
        .is_ok());
}

/// Before: length was the only rule; twelve spaces were a password.
#[test]
fn blank_and_repetitive_passwords_are_refused_with_a_reason() {
    for (password, expected) in [
        ("            ", "blank"),
        ("\t \t \t \t \t \t ", "blank"),
        ("aaaaaaaaaaaa", "different"),
        ("abababababab", "different"),
        ("abcdabcdabcd", "different"),
        ("short", "at least 12"),
    ] {
        let err = check_password_policy(password).unwrap_err();
        assert!(err.to_string().contains(expected), "{password:?}: {err}");
    }
    check_password_policy("abcdeabcdeab").unwrap();
    check_password_policy(GOOD).unwrap();
}

#[test]
fn a_password_change_needs_the_current_one_and_ends_other_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let auth = set_up(dir.path());
    let t0 = Instant::now();
    let mine = auth.login(ADMIN_USER, GOOD, ADMIN_PC, t0).unwrap();
    let other = auth.login(ADMIN_USER, GOOD, ADMIN_PC, t0).unwrap();
    let new = "a brand new passphrase";
    assert!(matches!(
        auth.change_password(
            Some("wrong password!"),
            new,
            Some(&mine.token),
            ADMIN_PC,
            t0
        ),
        Err(AuthError::WrongCurrentPassword)
    ));
    assert!(matches!(
        auth.change_password(None, new, Some(&mine.token), ADMIN_PC, t0),
        Err(AuthError::CurrentPasswordRequired)
    ));
    assert!(matches!(
        auth.change_password(Some(GOOD), "            ", Some(&mine.token), ADMIN_PC, t0),
        Err(AuthError::PasswordBlank)
    ));
    auth.login(ADMIN_USER, GOOD, ADMIN_PC, t0).unwrap();
    auth.change_password(Some(GOOD), new, Some(&mine.token), ADMIN_PC, t0)
        .unwrap();
    assert!(auth.session(&mine.token, t0).is_some());
    assert!(auth.session(&other.token, t0).is_none());
    assert!(matches!(
        auth.login(ADMIN_USER, GOOD, ADMIN_PC, t0),
        Err(AuthError::InvalidCredentials)
    ));
    // The new password survives a restart.
    load(dir.path())
        .login(ADMIN_USER, new, ADMIN_PC, t0)
        .unwrap();
    // Root on the socket may reset it without the old one.
    auth.change_password(None, GOOD, None, None, t0).unwrap();
    assert!(auth.session(&mine.token, t0).is_none());
}

#[test]
fn api_tokens_are_shown_once_kept_hashed_and_revocable() {
    let dir = tempfile::tempdir().unwrap();
    let auth = set_up(dir.path());
    let token = auth.create_token("backup-script").unwrap();
    assert!(token.starts_with(tokens::TOKEN_PREFIX));
    assert_eq!(auth.api_token(&token).as_deref(), Some("backup-script"));
    assert_eq!(auth.api_token("istk_00"), None);
    assert_eq!(auth.session(&token, Instant::now()), None, "not a session");
    let file = std::fs::read_to_string(dir.path().join(CREDENTIALS_FILE)).unwrap();
    assert!(!file.contains(&token), "{file}");
    assert!(file.contains("\"version\": 2"), "{file}");
    assert!(matches!(
        auth.create_token("backup-script"),
        Err(AuthError::TokenExists { .. })
    ));
    for bad in ["", ".hidden", "a/b", "spa ce", &"x".repeat(65)] {
        assert!(
            matches!(auth.create_token(bad), Err(AuthError::BadTokenName { .. })),
            "{bad:?}"
        );
    }
    let listed = auth.tokens();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "backup-script");
    assert!(listed[0].last_used.is_some());

    // Survives a restart, then revoked.
    let again = load(dir.path());
    assert_eq!(again.api_token(&token).as_deref(), Some("backup-script"));
    again.delete_token("backup-script").unwrap();
    assert_eq!(again.api_token(&token), None);
    assert!(matches!(
        again.delete_token("backup-script"),
        Err(AuthError::NoSuchToken { .. })
    ));
    // No tokens left: written as version 1 again, for a rollback.
    let file = std::fs::read_to_string(dir.path().join(CREDENTIALS_FILE)).unwrap();
    assert!(file.contains("\"version\": 1"), "{file}");
    load(dir.path())
        .login(ADMIN_USER, GOOD, None, Instant::now())
        .unwrap();
}

#[test]
fn a_version_1_file_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let hash = set_up(dir.path()).lock().credentials.users[ADMIN_USER]
        .password_hash
        .clone();
    let v1 = serde_json::json!({"version": 1, "users": {"admin": {"password_hash": hash}}});
    std::fs::write(dir.path().join(CREDENTIALS_FILE), v1.to_string()).unwrap();
    let auth = load(dir.path());
    assert!(!auth.setup_required());
    auth.login(ADMIN_USER, GOOD, None, Instant::now()).unwrap();
    auth.create_token("ci").unwrap();
    assert!(load(dir.path()).tokens().len() == 1);
}
