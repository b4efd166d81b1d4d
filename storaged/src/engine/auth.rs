//! First-time setup, sessions, the admin password and API tokens.
//!
//! Checking a request's session stays with the API (it is how a request
//! is let in, not an operation); these are the operations a request asks
//! for. `client` is the network address asking, `None` for the local
//! socket (root: never throttled).

use std::net::IpAddr;
use std::time::Instant;

use crate::auth::{Auth, NewSession, TokenInfo};

use super::EngineError;

/// Whether the admin password still has to be set.
pub fn setup_required(auth: &Auth) -> bool {
    auth.setup_required()
}

/// Sets the first admin password. `token` must be the setup token unless
/// the caller is the local socket. Slow: hashes.
pub fn set_initial_password(
    auth: &Auth,
    token: Option<&str>,
    client: Option<IpAddr>,
    password: &str,
    now: Instant,
) -> Result<(), EngineError> {
    Ok(auth.set_initial_password(token, client, password, now)?)
}

/// Checks a password and opens a session. Slow: verifies a hash.
pub fn login(
    auth: &Auth,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
    now: Instant,
) -> Result<NewSession, EngineError> {
    Ok(auth.login(username, password, client, now)?)
}

/// Ends the session `token`, if it is live.
pub fn logout(auth: &Auth, token: &str) {
    auth.logout(token);
}

/// Changes the admin password, ending every session but `keep`. Slow.
pub fn change_password(
    auth: &Auth,
    current: Option<&str>,
    new: &str,
    keep: Option<&str>,
    client: Option<IpAddr>,
    now: Instant,
) -> Result<(), EngineError> {
    Ok(auth.change_password(current, new, keep, client, now)?)
}

/// Makes the API token `name`; the answer is the only copy of it.
pub fn create_token(auth: &Auth, name: &str) -> Result<String, EngineError> {
    Ok(auth.create_token(name)?)
}

pub fn tokens(auth: &Auth) -> Vec<TokenInfo> {
    auth.tokens()
}

pub fn delete_token(auth: &Auth, name: &str) -> Result<(), EngineError> {
    Ok(auth.delete_token(name)?)
}
