use super::throttle::{FAILURE_WINDOW, MAX_FAILURES};
use super::*;
use std::net::Ipv4Addr;

/// A network client.
const NET: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
use std::os::unix::fs::PermissionsExt;

const GOOD: &str = "correct horse battery";

fn load(dir: &Path) -> Auth {
    Auth::load(dir, dir, Duration::from_secs(60), HashCost::FAST).unwrap()
}

#[test]
fn setup_token_looks_like_the_console_line_says() {
    let token = new_setup_token().unwrap();
    assert_eq!(token.len(), 14, "{token}");
    let parts: Vec<&str> = token.split('-').collect();
    assert_eq!(parts.len(), 3);
    assert!(parts
        .iter()
        .all(|p| p.len() == 4 && p.bytes().all(|b| TOKEN_ALPHABET.contains(&b))));
}

#[test]
fn typed_tokens_forgive_case_dashes_and_look_alikes() {
    assert!(tokens_match("ab01-cd11-efgh", "AB01-CD11-EFGH"));
    assert!(tokens_match("abo1 cdil efgh", "AB01-CD11-EFGH"));
    assert!(!tokens_match("AB01-CD11-EFGJ", "AB01-CD11-EFGH"));
    assert!(!tokens_match("AB01-CD11-EFG", "AB01-CD11-EFGH"));
    assert!(!tokens_match("", "AB01-CD11-EFGH"));
}

#[test]
fn first_start_has_a_token_and_its_root_only_copy() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    assert!(auth.setup_required());
    let token = auth.setup_token().unwrap();
    let copy = dir.path().join(SETUP_TOKEN_FILE);
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        format!("{token}\n")
    );
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn setup_stores_only_an_argon2id_hash_and_consumes_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let token = auth.setup_token().unwrap();
    let now = Instant::now();
    auth.set_initial_password(Some(&token), NET, GOOD, now)
        .unwrap();
    assert!(!auth.setup_required());
    assert_eq!(auth.setup_token(), None);
    assert!(!dir.path().join(SETUP_TOKEN_FILE).exists());

    let text = std::fs::read_to_string(auth.path()).unwrap();
    assert!(!text.contains(GOOD), "{text}");
    assert!(text.contains("$argon2id$v=19$"), "{text}");
    let mode = std::fs::metadata(auth.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(matches!(
        auth.set_initial_password(Some(&token), NET, GOOD, now),
        Err(AuthError::AlreadySetUp)
    ));

    // A restart reads the hash back and needs no token.
    let again = load(dir.path());
    assert!(!again.setup_required());
    assert_eq!(again.setup_token(), None);
    again.login(ADMIN_USER, GOOD, NET, now).unwrap();
}

#[test]
fn wrong_or_missing_token_and_short_passwords_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let token = auth.setup_token().unwrap();
    let now = Instant::now();
    assert!(matches!(
        auth.set_initial_password(Some("AAAA-AAAA-AAAA"), NET, GOOD, now),
        Err(AuthError::InvalidSetupToken)
    ));
    assert!(matches!(
        auth.set_initial_password(None, NET, GOOD, now),
        Err(AuthError::InvalidSetupToken)
    ));
    assert!(matches!(
        auth.set_initial_password(Some(&token), NET, "short", now),
        Err(AuthError::PasswordTooShort)
    ));
    assert!(!auth.path().exists());
    assert_eq!(auth.setup_token().as_deref(), Some(token.as_str()));
    // The trusted local socket needs no token.
    auth.set_initial_password(None, None, GOOD, now).unwrap();
}

#[test]
fn login_before_setup_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    assert!(matches!(
        auth.login(ADMIN_USER, GOOD, NET, Instant::now()),
        Err(AuthError::SetupRequired)
    ));
}

#[test]
fn sessions_expire_and_end_at_logout() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let t0 = Instant::now();
    auth.set_initial_password(None, None, GOOD, t0).unwrap();
    assert!(matches!(
        auth.login(ADMIN_USER, "wrong password!", NET, t0),
        Err(AuthError::InvalidCredentials)
    ));
    assert!(matches!(
        auth.login("root", GOOD, NET, t0),
        Err(AuthError::InvalidCredentials)
    ));
    let s = auth.login(ADMIN_USER, GOOD, NET, t0).unwrap();
    assert_eq!(s.token.len(), 64);
    assert_eq!(s.expires_in, Duration::from_secs(60));
    assert_eq!(auth.session(&s.token, t0).as_deref(), Some(ADMIN_USER));
    assert_eq!(auth.session("nope", t0), None);
    assert_eq!(auth.session(&s.token, t0 + Duration::from_secs(61)), None);
    // Expired sessions are gone for good.
    assert_eq!(auth.session(&s.token, t0), None);

    let s = auth.login(ADMIN_USER, GOOD, NET, t0).unwrap();
    assert!(auth.logout(&s.token));
    assert!(!auth.logout(&s.token));
    assert_eq!(auth.session(&s.token, t0), None);
}

#[test]
fn repeated_failures_are_throttled_then_forgiven() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let t0 = Instant::now();
    auth.set_initial_password(None, None, GOOD, t0).unwrap();
    for _ in 0..MAX_FAILURES {
        assert!(matches!(
            auth.login(ADMIN_USER, "wrong password!", NET, t0),
            Err(AuthError::InvalidCredentials)
        ));
    }
    let err = auth.login(ADMIN_USER, GOOD, NET, t0).unwrap_err();
    assert!(matches!(err, AuthError::Throttled { retry_after } if retry_after == FAILURE_WINDOW));
    auth.login(ADMIN_USER, GOOD, NET, t0 + FAILURE_WINDOW)
        .unwrap();
}

#[test]
fn sessions_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let auth = load(dir.path());
    let t0 = Instant::now();
    auth.set_initial_password(None, None, GOOD, t0).unwrap();
    let first = auth.login(ADMIN_USER, GOOD, NET, t0).unwrap();
    for i in 1..=MAX_SESSIONS {
        let t = t0 + Duration::from_millis(i as u64);
        auth.login(ADMIN_USER, GOOD, NET, t).unwrap();
    }
    assert_eq!(auth.lock().sessions.len(), MAX_SESSIONS);
    assert_eq!(auth.session(&first.token, t0), None, "the oldest goes");
}

#[test]
fn unknown_schema_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CREDENTIALS_FILE),
        r#"{"version": 9, "users": {}}"#,
    )
    .unwrap();
    let err = Auth::load(
        dir.path(),
        dir.path(),
        Duration::from_secs(1),
        HashCost::FAST,
    )
    .unwrap_err();
    assert!(matches!(err, AuthError::Version { found: 9, .. }), "{err}");
}

#[test]
fn csrf_tokens_are_per_session_and_stable() {
    let a = super::csrf_token("aaaa");
    assert_eq!(a, super::csrf_token("aaaa"));
    assert_ne!(a, super::csrf_token("aaab"));
    assert_eq!(a.len(), 64);
}
