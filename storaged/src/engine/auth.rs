//! First-time setup and sessions: the admin password, set once with the
//! setup token, and the sessions that log in with it.
//!
//! Checking a request's session stays with the API (it is how a request
//! is let in, not an operation); these are the operations a request asks
//! for.

use std::time::Instant;

use crate::auth::{Auth, NewSession};

use super::EngineError;

/// Whether the admin password still has to be set.
pub fn setup_required(auth: &Auth) -> bool {
    auth.setup_required()
}

/// Sets the first admin password. `token` must be the setup token unless
/// the caller is `trusted` (the local socket). Slow: hashes.
pub fn set_initial_password(
    auth: &Auth,
    token: Option<&str>,
    trusted: bool,
    password: &str,
    now: Instant,
) -> Result<(), EngineError> {
    Ok(auth.set_initial_password(token, trusted, password, now)?)
}

/// Checks a password and opens a session. Slow: verifies a hash.
pub fn login(
    auth: &Auth,
    username: &str,
    password: &str,
    now: Instant,
) -> Result<NewSession, EngineError> {
    Ok(auth.login(username, password, now)?)
}

/// Ends the session `token`, if it is live.
pub fn logout(auth: &Auth, token: &str) {
    auth.logout(token);
}
