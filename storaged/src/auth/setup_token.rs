//! A new setup token on request, from the appliance's console: the one
//! shown may have been photographed, mistyped into the wrong form, or its
//! screen lost. Only while no admin password is set; the old token stops
//! working at once.

use crate::util::write_atomic;

use super::{new_setup_token, Auth, AuthError, ADMIN_USER};

impl Auth {
    /// Replaces the setup token with a fresh one and rewrites its copy in
    /// the runtime directory; answers the new token. Refused with
    /// [`AuthError::AlreadySetUp`] once the admin password is set.
    pub fn renew_setup_token(&self) -> Result<String, AuthError> {
        let mut inner = self.lock();
        if inner.credentials.users.contains_key(ADMIN_USER) {
            return Err(AuthError::AlreadySetUp);
        }
        let token = new_setup_token()?;
        // The file first: if it cannot be written, the old token (and its
        // copy) stay as they were, consistent.
        write_atomic(&self.token_file, format!("{token}\n").as_bytes(), 0o600).map_err(
            |source| AuthError::Write {
                path: self.token_file.clone(),
                source,
            },
        )?;
        inner.setup_token = Some(token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::super::{HashCost, SETUP_TOKEN_FILE};
    use super::*;

    fn load(dir: &Path) -> Auth {
        Auth::load(dir, dir, Duration::from_secs(60), HashCost::FAST).unwrap()
    }

    #[test]
    fn a_renewed_token_replaces_the_old_one_and_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let auth = load(dir.path());
        let old = auth.setup_token().unwrap();
        let new = auth.renew_setup_token().unwrap();
        assert_ne!(old, new);
        assert_eq!(auth.setup_token().as_deref(), Some(new.as_str()));
        let file = std::fs::read_to_string(dir.path().join(SETUP_TOKEN_FILE)).unwrap();
        assert_eq!(file, format!("{new}\n"));
        let now = Instant::now();
        assert!(matches!(
            auth.set_initial_password(
                Some(&old),
                Some(std::net::IpAddr::from([192, 0, 2, 1])),
                "a long enough password",
                now
            ),
            Err(AuthError::InvalidSetupToken)
        ));
        auth.set_initial_password(
            Some(&new),
            Some(std::net::IpAddr::from([192, 0, 2, 1])),
            "a long enough password",
            now,
        )
        .unwrap();
        assert!(matches!(
            auth.renew_setup_token(),
            Err(AuthError::AlreadySetUp)
        ));
        assert!(auth.setup_token().is_none());
        assert!(!dir.path().join(SETUP_TOKEN_FILE).exists());
    }
}
