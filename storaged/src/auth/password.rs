//! Changing the admin password.

use std::net::IpAddr;
use std::time::Instant;

use argon2::password_hash::PasswordVerifier;

use super::{check_password_policy, Auth, AuthError, UserRecord, ADMIN_USER, MAX_PASSWORD_BYTES};

impl Auth {
    /// Changes the admin password. Over the network (`client` set) the
    /// current password is required and a wrong one counts as a failed
    /// login; the local socket (root) may omit it. Every session but
    /// `keep` (the caller's) ends. Slow: verifies and hashes.
    pub fn change_password(
        &self,
        current: Option<&str>,
        new: &str,
        keep: Option<&str>,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), AuthError> {
        let stored = {
            let mut inner = self.lock();
            if let Some(ip) = client {
                inner.login_failures.check(ip, now)?;
            }
            inner
                .credentials
                .users
                .get(ADMIN_USER)
                .map(|u| u.password_hash.clone())
                .ok_or(AuthError::SetupRequired)?
        };
        match current {
            Some(current) => {
                let verified = current.len() <= MAX_PASSWORD_BYTES
                    && self.with_hasher(|h| {
                        h.verify_password(current.as_bytes(), stored.as_str())
                            .is_ok()
                    })?;
                if !verified {
                    if let Some(ip) = client {
                        self.lock().login_failures.fail(ip, now);
                    }
                    return Err(AuthError::WrongCurrentPassword);
                }
            }
            None if client.is_some() => return Err(AuthError::CurrentPasswordRequired),
            None => {}
        }
        check_password_policy(new)?;
        let hash = self.hash(new)?;
        let mut inner = self.lock();
        let mut next = inner.credentials.clone();
        next.users.insert(
            ADMIN_USER.to_string(),
            UserRecord {
                password_hash: hash,
            },
        );
        self.commit(&next)?;
        inner.credentials = next;
        inner
            .sessions
            .retain(|token, _| Some(token.as_str()) == keep);
        Ok(())
    }
}
