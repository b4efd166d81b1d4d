//! What every handler can reach.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::auth::Auth;
use crate::config::Roots;
use crate::platform::Platform;
use crate::runner::CommandRunner;

use super::error::ApiError;

/// The daemon's shared state, cheap to clone (one `Arc`); handlers take it
/// as `State(app): State<AppState>` and read the fields of [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The fields behind [`AppState`].
pub struct Shared {
    /// Runs `zpool`, `zfs`, `exportfs`...: the real ones, or a fake in tests.
    pub runner: Arc<dyn CommandRunner>,
    /// sysfs, configfs, `/dev` and `/`.
    pub roots: Roots,
    /// Persisted state (`/var/lib/storaged`).
    pub state_dir: PathBuf,
    /// Runtime files (`/run/storaged`): generated configs go here.
    pub runtime_dir: PathBuf,
    /// The image and slot this runs from, read once at start.
    pub platform: Platform,
    /// Started with `--sim`: no disks, no root.
    pub sim: bool,
    pub started: Instant,
    /// Held for the whole of any operation that changes the machine or the
    /// persisted state, so such operations run one at a time; reads do not
    /// take it.
    pub mutations: tokio::sync::Mutex<()>,
    pub auth: Auth,
    /// configfs, the generated service files, Samba's users.
    pub sharing: crate::sharing::SharingHost,
    /// A/B upgrades: install progress, one install at a time.
    pub upgrade: crate::upgrade::Upgrader,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }

    /// Runs slow or blocking work (commands, hashing, file I/O) off the
    /// runtime's only thread, with the state at hand.
    pub async fn blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Shared) -> T + Send + 'static,
        T: Send + 'static,
    {
        let shared = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || work(&shared))
            .await
            .map_err(|e| ApiError::Internal {
                message: format!("a background task failed: {e}"),
            })
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
