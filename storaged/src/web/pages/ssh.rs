//! `/ui/ssh`: switch the SSH service on or off with its authorized keys
//! (sent as `PUT /api/v1/ssh`), and the host keys' fingerprints to compare
//! with what an SSH client shows on its first connection.

use axum::extract::State;
use axum::response::Html;

use crate::api::AppState;
use crate::engine;
use crate::web::{render, PageError, PageSession};

/// `GET /ui/ssh`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let status = app
        .blocking(|app| engine::ssh::status(&app.machine))
        .await??;
    let mut context = session.context("ssh", "SSH");
    context.insert("enabled", &status.enabled);
    context.insert("authorized_keys", &status.authorized_keys.join("\n"));
    context.insert("host_keys", &status.host_key_fingerprints);
    Ok(render("ssh.html", &context)?)
}
