//! Named API tokens for scripts: shown once when made, kept only as a
//! SHA-256 hash (they are 256 random bits, so a fast hash is as good as a
//! slow one), revocable by name. A token is sent as a bearer token.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{random_hex, Auth, AuthError};

/// API tokens kept at most.
pub const MAX_API_TOKENS: usize = 32;
/// Longest token name, in bytes.
pub const MAX_TOKEN_NAME: usize = 64;
/// What every API token starts with, so one found in a file is recognised.
pub const TOKEN_PREFIX: &str = "istk_";

/// One token in `auth.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenRecord {
    /// Hex SHA-256 of the token.
    pub sha256: String,
    /// Unix seconds.
    pub created: u64,
    /// Unix seconds of the last request it authenticated, as of the last
    /// write of the file (uses are noted in memory and written with the
    /// next change, not on every request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<u64>,
}

/// A token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub created: u64,
    pub last_used: Option<u64>,
}

/// Seconds since 1970, for the file.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`.
pub fn check_token_name(name: &str) -> Result<(), AuthError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_TOKEN_NAME
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(AuthError::BadTokenName {
            name: name.to_string(),
        })
    }
}

impl Auth {
    /// Makes the API token `name`; the answer is the only time the token
    /// is seen.
    pub fn create_token(&self, name: &str) -> Result<String, AuthError> {
        check_token_name(name)?;
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32)?);
        let mut inner = self.lock();
        if inner.credentials.api_tokens.contains_key(name) {
            return Err(AuthError::TokenExists {
                name: name.to_string(),
            });
        }
        if inner.credentials.api_tokens.len() >= MAX_API_TOKENS {
            return Err(AuthError::TooManyTokens);
        }
        let mut next = inner.credentials.clone();
        next.api_tokens.insert(
            name.to_string(),
            TokenRecord {
                sha256: digest(&token),
                created: unix_now(),
                last_used: None,
            },
        );
        self.commit(&next)?;
        inner.credentials = next;
        Ok(token)
    }

    /// Every API token, by name.
    pub fn tokens(&self) -> Vec<TokenInfo> {
        self.lock()
            .credentials
            .api_tokens
            .iter()
            .map(|(name, r)| TokenInfo {
                name: name.clone(),
                created: r.created,
                last_used: r.last_used,
            })
            .collect()
    }

    /// Revokes the API token `name`: the next request with it is refused.
    pub fn delete_token(&self, name: &str) -> Result<(), AuthError> {
        let mut inner = self.lock();
        if !inner.credentials.api_tokens.contains_key(name) {
            return Err(AuthError::NoSuchToken {
                name: name.to_string(),
            });
        }
        let mut next = inner.credentials.clone();
        next.api_tokens.remove(name);
        self.commit(&next)?;
        inner.credentials = next;
        Ok(())
    }

    /// The name of the API token `token`, noting its use; `None` when it
    /// is no (longer a) token.
    pub fn api_token(&self, token: &str) -> Option<String> {
        if !token.starts_with(TOKEN_PREFIX) {
            return None;
        }
        let wanted = digest(token);
        let mut inner = self.lock();
        // Compares every hash whole: no early exit tells how close a guess is.
        let mut found = None;
        for (name, record) in &inner.credentials.api_tokens {
            let same = record.sha256.len() == wanted.len()
                && record
                    .sha256
                    .bytes()
                    .zip(wanted.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if same {
                found = Some(name.clone());
            }
        }
        let name = found?;
        if let Some(record) = inner.credentials.api_tokens.get_mut(&name) {
            record.last_used = Some(unix_now());
        }
        Some(name)
    }
}
