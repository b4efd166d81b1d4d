//! `/ui/snapshots`: every snapshot of the imported pools, with create,
//! rollback and destroy sent to the snapshots API.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use super::storage::rows;
use super::{json_attr, utc};
use crate::api::AppState;
use crate::engine::{self, EngineError};
use crate::web::{render, PageError, PageSession};
use crate::zfs::DatasetKind;

#[derive(Debug, Serialize)]
struct SnapshotRow {
    name: String,
    dataset: String,
    snapshot: String,
    used: u64,
    referenced: u64,
    created: Option<String>,
    rollback_body: String,
}

/// `GET /ui/snapshots`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let (snapshots, mut targets) = app
        .blocking(|app| {
            let snapshots = engine::snapshots::list(&app.machine, None, None)?;
            let mut targets: Vec<String> = rows(&app.machine, DatasetKind::Filesystem)?
                .into_iter()
                .chain(rows(&app.machine, DatasetKind::Volume)?)
                .filter(|r| r.declared)
                .map(|r| r.name)
                .collect();
            targets.extend(super::storage::pool_names(&app.machine)?);
            Ok::<_, EngineError>((snapshots, targets))
        })
        .await??;
    targets.sort();
    let snapshots: Vec<SnapshotRow> = snapshots
        .into_iter()
        .map(|s| SnapshotRow {
            rollback_body: json_attr(&serde_json::json!({"name": s.name, "destroy_newer": false})),
            created: utc(s.created),
            name: s.name,
            dataset: s.dataset,
            snapshot: s.snapshot,
            used: s.used,
            referenced: s.referenced,
        })
        .collect();
    let mut context = session.context("snapshots", "Snapshots");
    context.insert("snapshots", &snapshots);
    context.insert("targets", &targets);
    Ok(render("snapshots.html", &context)?)
}

#[cfg(test)]
mod tests;
