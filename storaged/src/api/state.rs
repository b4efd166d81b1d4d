//! What every handler can reach.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Instant;

use crate::auth::Auth;
use crate::collector::Collector;
use crate::engine::console::HttpsEndpoint;
use crate::engine::Machine;

use super::error::ApiError;

/// The daemon's shared state, cheap to clone (one `Arc`); handlers take it
/// as `State(app): State<AppState>` and read the fields of [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The fields behind [`AppState`].
pub struct Shared {
    /// The machine the engine works on, real or simulated.
    pub machine: Arc<Machine>,
    pub started: Instant,
    /// Held for the whole of any operation that changes the machine or the
    /// persisted state, so such operations run one at a time; reads do not
    /// take it.
    pub mutations: tokio::sync::Mutex<()>,
    pub auth: Auth,
    /// The HTTPS listener's port and certificate, for the console screen;
    /// `None` when HTTPS is off.
    pub https: Option<HttpsEndpoint>,
    /// Samples the machine for the dashboard (and later readers).
    pub collector: Collector,
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

impl AppState {
    /// Runs work that changes the machine or the persisted state: one such
    /// operation at a time ([`Shared::mutations`], held throughout), off
    /// the runtime's only thread. Reads use [`AppState::blocking`].
    pub async fn mutate<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Shared) -> T + Send + 'static,
        T: Send + 'static,
    {
        let _one_at_a_time = self.mutations.lock().await;
        self.blocking(work).await
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
