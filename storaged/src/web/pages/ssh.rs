//! `/ui/ssh`: switch the SSH service on or off, its authorized keys, and
//! the host key fingerprints. The SSH API (`GET`/`PUT /api/v1/ssh`) comes
//! with branch `presets`; until it is merged this tree has no engine read
//! of the SSH state, so `static/ssh.js` fills the form from
//! `GET /api/v1/ssh`. TODO(merge): read the state here through the
//! engine and render it, as the other pages do.

use axum::response::Html;

use crate::web::{render, PageError, PageSession};

/// `GET /ui/ssh`.
pub async fn page(session: PageSession) -> Result<Html<String>, PageError> {
    let context = session.context("ssh", "SSH");
    Ok(render("ssh.html", &context)?)
}
