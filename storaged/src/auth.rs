//! Who may use the network API: the admin password, the one-time setup
//! token and login sessions. No HTTP here; the API maps these to requests.
//!
//! - The password is kept only as an argon2id hash (PHC string) in
//!   `<state dir>/auth.json`, written atomically. There is no default
//!   password.
//! - While no admin password is set, a one-time setup token exists in
//!   memory (and in `<runtime dir>/setup-token`, root only); whoever can read
//!   the console or that file may set the first password with it, once.
//! - Sessions are random bearer tokens held in memory: a restart logs
//!   everyone out, which is acceptable for one admin.
//! - Failed passwords and tokens are throttled per client address
//!   ([`throttle`]), login and setup apart, so guessing over the network is
//!   slow and one address cannot lock the admin out from another; the
//!   local socket (root) is never throttled.
//! - Named API tokens for scripts ([`tokens`]) are kept as hashes in the
//!   same file.
//!
//! Every method that can take time (argon2 costs tens of milliseconds and
//! ~19 MiB) is synchronous: call it from a blocking task.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use serde::{Deserialize, Serialize};

use crate::util::write_atomic;

mod setup_token;

/// The one account of the web page and the network API.
pub const ADMIN_USER: &str = "admin";
/// Shortest admin password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest admin password accepted, in bytes (bounds the hashing work).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The credentials file inside the state directory.
pub const CREDENTIALS_FILE: &str = "auth.json";
/// The setup token's copy inside the runtime directory.
pub const SETUP_TOKEN_FILE: &str = "setup-token";

/// Version of `auth.json`; see [`migrate`]. Version 2 added API tokens.
const SCHEMA_VERSION: u32 = 2;
/// Fewest different characters a password must have.
pub const MIN_DISTINCT_CHARS: usize = 5;
/// Live sessions kept at most; the oldest goes first.
const MAX_SESSIONS: usize = 64;
/// Crockford's base32: no I, L, O, U, so a token read off a console is
/// typed back without doubt.
const TOKEN_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a valid credentials file", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} has schema version {found}; this storaged reads versions up to {SCHEMA_VERSION}", .path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the admin password is already set")]
    AlreadySetUp,
    #[error(
        "the admin password is not set yet; set it with the setup token printed on the console"
    )]
    SetupRequired,
    #[error("the setup token is wrong or was already used")]
    InvalidSetupToken,
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("too many failed attempts; try again in {} s", .retry_after.as_secs().max(1))]
    Throttled { retry_after: Duration },
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters long")]
    PasswordTooShort,
    #[error("the password must not be only spaces or other blank characters")]
    PasswordBlank,
    #[error("the password must use at least {MIN_DISTINCT_CHARS} different characters")]
    PasswordTooSimple,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the current password is required")]
    CurrentPasswordRequired,
    #[error("token name {name:?} is not valid: use 1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -")]
    BadTokenName { name: String },
    #[error("an API token named {name:?} exists already")]
    TokenExists { name: String },
    #[error("no API token named {name:?}")]
    NoSuchToken { name: String },
    #[error(
        "there are already {} API tokens; delete one first",
        tokens::MAX_API_TOKENS
    )]
    TooManyTokens,
    #[error("the password must be at most {MAX_PASSWORD_BYTES} bytes long")]
    PasswordTooLong,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the system's random number generator failed: {0}")]
    Random(getrandom::Error),
}

/// `auth.json`: one record per user, the password as an argon2id PHC
/// string, and the API tokens' hashes by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    version: u32,
    users: BTreeMap<String, UserRecord>,
    /// Absent in version 1 files.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    api_tokens: BTreeMap<String, tokens::TokenRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRecord {
    password_hash: String,
}

/// Brings an older `auth.json` up to [`SCHEMA_VERSION`]. Version 1 had
/// no API tokens: it reads as version 2 with none.
fn migrate(mut file: CredentialsFile, path: &Path) -> Result<CredentialsFile, AuthError> {
    match file.version {
        SCHEMA_VERSION => Ok(file),
        1 => {
            file.version = SCHEMA_VERSION;
            Ok(file)
        }
        found => Err(AuthError::Version {
            path: path.to_path_buf(),
            found,
        }),
    }
}

/// What argon2 costs. [`HashCost::DEFAULT`] is OWASP's argon2id baseline;
/// tests use [`HashCost::FAST`] so unoptimised builds stay quick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl HashCost {
    pub const DEFAULT: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
    /// Only for tests: the hash is still argon2id, with the least cost.
    pub const FAST: HashCost = HashCost {
        memory_kib: 64,
        iterations: 1,
    };

    fn hasher(self) -> Result<Argon2<'static>, AuthError> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, 1, None)
            .map_err(|e| AuthError::Hash(e.to_string()))?;
        Ok(Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }
}

/// A session handed out by [`Auth::login`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub token: String,
    pub username: String,
    pub expires_in: Duration,
}

#[derive(Debug)]
struct Session {
    username: String,
    created: Instant,
    expires: Instant,
}

#[derive(Debug)]
struct Inner {
    credentials: CredentialsFile,
    setup_token: Option<String>,
    sessions: HashMap<String, Session>,
    /// Failed logins and password checks, per client address.
    login_failures: Throttle,
    /// Failed setup tokens, per client address: apart from logins.
    setup_failures: Throttle,
}

/// Credentials, the setup token and sessions; shared by every request.
#[derive(Debug)]
pub struct Auth {
    path: PathBuf,
    token_file: PathBuf,
    session_ttl: Duration,
    cost: HashCost,
    inner: Mutex<Inner>,
    /// One argon2 computation at a time: bounds memory to one hash's
    /// worth whatever arrives, and slows guessing further.
    hashing: Mutex<()>,
}

impl Auth {
    /// Reads `<state_dir>/auth.json` (a missing file means no password yet).
    /// When no admin password is set, creates the setup token and writes
    /// its copy into `runtime_dir`; otherwise removes a stale copy.
    pub fn load(
        state_dir: &Path,
        runtime_dir: &Path,
        session_ttl: Duration,
        cost: HashCost,
    ) -> Result<Auth, AuthError> {
        let path = state_dir.join(CREDENTIALS_FILE);
        let credentials = match std::fs::read(&path) {
            Ok(bytes) => {
                let file: CredentialsFile =
                    serde_json::from_slice(&bytes).map_err(|source| AuthError::Parse {
                        path: path.clone(),
                        source,
                    })?;
                migrate(file, &path)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => CredentialsFile {
                version: SCHEMA_VERSION,
                ..CredentialsFile::default()
            },
            Err(source) => return Err(AuthError::Read { path, source }),
        };
        let auth = Auth {
            path,
            token_file: runtime_dir.join(SETUP_TOKEN_FILE),
            session_ttl,
            cost,
            inner: Mutex::new(Inner {
                credentials,
                setup_token: None,
                sessions: HashMap::new(),
                login_failures: Throttle::default(),
                setup_failures: Throttle::default(),
            }),
            hashing: Mutex::new(()),
        };
        if auth.setup_required() {
            let token = new_setup_token()?;
            write_atomic(&auth.token_file, format!("{token}\n").as_bytes(), 0o600).map_err(
                |source| AuthError::Write {
                    path: auth.token_file.clone(),
                    source,
                },
            )?;
            auth.lock().setup_token = Some(token);
        } else {
            remove_if_present(&auth.token_file)?;
        }
        Ok(auth)
    }

    /// Where the credentials live.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True until the admin password is set.
    pub fn setup_required(&self) -> bool {
        !self.lock().credentials.users.contains_key(ADMIN_USER)
    }

    /// The one-time setup token, while the admin password is not set.
    pub fn setup_token(&self) -> Option<String> {
        self.lock().setup_token.clone()
    }

    /// Sets the first admin password. `token` must match the setup token
    /// unless the caller is the local socket (`client` `None`), which may
    /// omit it. Failures are throttled per network client, apart from
    /// logins; the local socket is never throttled. The token is consumed
    /// on success. Slow: hashes.
    pub fn set_initial_password(
        &self,
        token: Option<&str>,
        client: Option<IpAddr>,
        password: &str,
        now: Instant,
    ) -> Result<(), AuthError> {
        let expected = {
            let mut inner = self.lock();
            if inner.credentials.users.contains_key(ADMIN_USER) {
                return Err(AuthError::AlreadySetUp);
            }
            if let Some(ip) = client {
                inner.setup_failures.check(ip, now)?;
            }
            let expected = inner.setup_token.clone().ok_or(AuthError::AlreadySetUp)?;
            let matches = token.is_some_and(|t| tokens_match(t, &expected));
            if !(matches || client.is_none() && token.is_none()) {
                if let Some(ip) = client {
                    inner.setup_failures.fail(ip, now);
                }
                return Err(AuthError::InvalidSetupToken);
            }
            expected
        };
        check_password_policy(password)?;
        let hash = self.hash(password)?;

        let mut inner = self.lock();
        // Someone else may have used the token while this one was hashing.
        if inner.setup_token.as_deref() != Some(expected.as_str()) {
            return Err(AuthError::InvalidSetupToken);
        }
        let mut next = inner.credentials.clone();
        next.users.insert(
            ADMIN_USER.to_string(),
            UserRecord {
                password_hash: hash,
            },
        );
        self.commit(&next)?;
        inner.credentials = next;
        inner.setup_token = None;
        drop(inner);
        remove_if_present(&self.token_file)
    }

    /// Checks a password and opens a session. Failures are throttled per
    /// network `client`; `None` (the local socket) is never throttled.
    /// Slow: verifies a hash.
    pub fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Result<NewSession, AuthError> {
        let stored = {
            let mut inner = self.lock();
            if !inner.credentials.users.contains_key(ADMIN_USER) {
                return Err(AuthError::SetupRequired);
            }
            if let Some(ip) = client {
                inner.login_failures.check(ip, now)?;
            }
            inner
                .credentials
                .users
                .get(username)
                .map(|u| u.password_hash.clone())
        };
        // An unknown user costs as much as a wrong password.
        let hash = stored.as_deref().unwrap_or_else(|| dummy_hash(self.cost));
        let verified = password.len() <= MAX_PASSWORD_BYTES
            && self.with_hasher(|h| h.verify_password(password.as_bytes(), hash).is_ok())?;
        let mut inner = self.lock();
        if !(verified && stored.is_some()) {
            if let Some(ip) = client {
                inner.login_failures.fail(ip, now);
            }
            return Err(AuthError::InvalidCredentials);
        }
        let token = random_hex(32)?;
        if inner.sessions.len() >= MAX_SESSIONS {
            inner.sessions.retain(|_, s| s.expires > now);
        }
        if inner.sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = inner
                .sessions
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(t, _)| t.clone())
            {
                inner.sessions.remove(&oldest);
            }
        }
        inner.sessions.insert(
            token.clone(),
            Session {
                username: username.to_string(),
                created: now,
                expires: now + self.session_ttl,
            },
        );
        Ok(NewSession {
            token,
            username: username.to_string(),
            expires_in: self.session_ttl,
        })
    }

    /// The user a live session token belongs to; an expired one is dropped.
    pub fn session(&self, token: &str, now: Instant) -> Option<String> {
        let mut inner = self.lock();
        match inner.sessions.get(token) {
            Some(s) if s.expires > now => Some(s.username.clone()),
            Some(_) => {
                inner.sessions.remove(token);
                None
            }
            None => None,
        }
    }

    /// The user of a live session and how long it has left.
    pub fn session_left(&self, token: &str, now: Instant) -> Option<(String, Duration)> {
        let inner = self.lock();
        let s = inner.sessions.get(token).filter(|s| s.expires > now)?;
        Some((s.username.clone(), s.expires.saturating_duration_since(now)))
    }

    /// Ends a session; true if it was live.
    pub fn logout(&self, token: &str) -> bool {
        self.lock().sessions.remove(token).is_some()
    }

    /// How long a new session lasts.
    pub fn session_ttl(&self) -> Duration {
        self.session_ttl
    }

    fn hash(&self, password: &str) -> Result<String, AuthError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(AuthError::Random)?;
        self.with_hasher(|h| {
            h.hash_password_with_salt(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AuthError::Hash(e.to_string()))
        })?
    }

    /// Runs `work` with the hasher, one at a time.
    fn with_hasher<T>(&self, work: impl FnOnce(&Argon2<'static>) -> T) -> Result<T, AuthError> {
        let hasher = self.cost.hasher()?;
        let _one_at_a_time = self.hashing.lock().unwrap_or_else(|e| e.into_inner());
        Ok(work(&hasher))
    }

    fn commit(&self, file: &CredentialsFile) -> Result<(), AuthError> {
        // Without API tokens the file is written as version 1, which it
        // then equals: a rollback to a storaged that knows only version 1
        // still reads it and keeps the admin password.
        let mut file = file.clone();
        if file.api_tokens.is_empty() {
            file.version = 1;
        }
        let mut bytes = serde_json::to_vec_pretty(&file).expect("credentials serialise");
        bytes.push(b'\n');
        write_atomic(&self.path, &bytes, 0o600).map_err(|source| AuthError::Write {
            path: self.path.clone(),
            source,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; go on.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The password rules: long enough, not absurdly long, not blank, and not
/// one character (or four) repeated: length alone let twelve spaces or
/// `aaaaaaaaaaaa` through.
pub fn check_password_policy(password: &str) -> Result<(), AuthError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::PasswordTooLong);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::PasswordTooShort);
    }
    if password.chars().all(char::is_whitespace) {
        return Err(AuthError::PasswordBlank);
    }
    let distinct: std::collections::BTreeSet<char> = password.chars().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Err(AuthError::PasswordTooSimple);
    }
    Ok(())
}

/// The CSRF token of the cookie session `session_token`: what a page puts
/// in `<meta name="csrf-token">` and its scripts send back as
/// `X-CSRF-Token` (a header only: the check runs before any body is read,
/// so a form field would not be seen). Derived, not stored:
/// only whoever holds the session (an HttpOnly cookie another origin cannot
/// read) can compute it, and it dies with the session.
pub fn csrf_token(session_token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"ironstor-csrf\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `XXXX-XXXX-XXXX` in Crockford base32: 60 random bits.
fn new_setup_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| TOKEN_ALPHABET[usize::from(b & 31)] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Compares a typed token with the real one, forgiving case, dashes,
/// spaces and Crockford's look-alikes (O for 0, I and L for 1); in time
/// independent of where they differ.
fn tokens_match(typed: &str, expected: &str) -> bool {
    let normalise = |s: &str| -> Vec<u8> {
        s.chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            })
            .collect::<String>()
            .into_bytes()
    };
    let (a, b) = (normalise(typed), normalise(expected));
    a.len() == b.len() && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_hex(len: usize) -> Result<String, AuthError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(AuthError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A hash of nothing anyone knows, verified against for unknown users.
fn dummy_hash(cost: HashCost) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        cost.hasher()
            .and_then(|h| {
                h.hash_password_with_salt(b"no such user", b"storaged-dummy-salt")
                    .map(|h| h.to_string())
                    .map_err(|e| AuthError::Hash(e.to_string()))
            })
            .unwrap_or_default()
    })
}

fn remove_if_present(path: &Path) -> Result<(), AuthError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(AuthError::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

mod password;
mod throttle;
pub mod tokens;

pub use throttle::client_key;
use throttle::Throttle;
pub use tokens::TokenInfo;

#[cfg(test)]
mod account_tests;
#[cfg(test)]
mod tests;
