//! `/ui/smb`: SMB users (add, set password, remove), shares (add,
//! remove) and the sessions `smbstatus` reports.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::storage::rows;
use crate::api::AppState;
use crate::engine::{sharing, EngineError};
use crate::web::{render, PageError, PageSession};
use crate::zfs::DatasetKind;

#[derive(Debug, Serialize)]
struct UserRow {
    name: String,
    uid: u32,
    has_password: bool,
}

#[derive(Debug, Serialize)]
struct SessionRow {
    user: String,
    machine: String,
    dialect: String,
}

/// `GET /ui/smb`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let (users, shares, datasets, sessions) = app
        .blocking(|app| {
            let users = sharing::smb_users(&app.machine)?;
            let shares = sharing::smb_shares(&app.machine)?;
            let datasets = rows(&app.machine, DatasetKind::Filesystem)?;
            // Sessions are live facts from smbstatus: when it cannot
            // answer (Samba not running yet), the page still shows the
            // rest, and says so.
            let sessions = sharing::smb_sessions(&app.machine).map_err(|e| e.to_string());
            Ok::<_, EngineError>((users, shares, datasets, sessions))
        })
        .await??;
    let users: Vec<UserRow> = users
        .into_iter()
        .map(|(u, has_password)| UserRow {
            name: u.name.to_string(),
            uid: u.uid,
            has_password,
        })
        .collect();
    let shares: Vec<serde_json::Value> = shares
        .into_iter()
        .map(|s| {
            let mut v = serde_json::to_value(&s.share).unwrap_or_default();
            v["path"] = s.path.display().to_string().into();
            v
        })
        .collect();
    let mut context = session.context("smb", "SMB");
    match sessions {
        Ok(sessions) => {
            let sessions: Vec<SessionRow> = sessions
                .into_iter()
                .map(|s| SessionRow {
                    user: s.user,
                    machine: s.machine,
                    dialect: s.dialect,
                })
                .collect();
            context.insert("sessions", &sessions);
        }
        Err(message) => {
            context.insert("sessions", &Vec::<SessionRow>::new());
            context.insert("sessions_error", &message);
        }
    }
    context.insert("users", &users);
    context.insert("shares", &shares);
    context.insert("datasets", &datasets);
    context.insert("min_password_chars", &crate::auth::MIN_PASSWORD_CHARS);
    Ok(render("smb.html", &context)?)
}

#[cfg(test)]
mod tests;
