//! `/ui/nfs`: the exports (add, remove), the warnings about risky
//! choices among them, and the clients the server sees.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::storage::rows;
use crate::api::AppState;
use crate::engine::{sharing, EngineError};
use crate::web::{render, PageError, PageSession};
use crate::zfs::DatasetKind;

#[derive(Debug, Serialize)]
struct ClientRow {
    address: String,
    version: String,
    path: Option<String>,
}

/// `GET /ui/nfs`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let (exports, datasets, clients) = app
        .blocking(|app| {
            let exports = sharing::nfs_exports(&app.machine)?;
            let datasets = rows(&app.machine, DatasetKind::Filesystem)?;
            Ok::<_, EngineError>((exports, datasets, sharing::nfs_clients(&app.machine)))
        })
        .await??;
    let rows: Vec<serde_json::Value> = exports
        .exports
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(&e.export).unwrap_or_default();
            v["path"] = e.path.display().to_string().into();
            v["fsid"] = e.fsid.clone().into();
            v
        })
        .collect();
    let clients: Vec<ClientRow> = clients
        .into_iter()
        .map(|c| ClientRow {
            address: c.address,
            version: c.version,
            path: c.path,
        })
        .collect();
    let mut context = session.context("nfs", "NFS");
    context.insert("exports", &rows);
    context.insert("warnings", &exports.warnings);
    context.insert("datasets", &datasets);
    context.insert("clients", &clients);
    Ok(render("nfs.html", &context)?)
}

#[cfg(test)]
mod tests;
