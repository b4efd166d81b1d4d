//! `/ui/storage`: datasets and volumes, their plain create and destroy
//! forms, and the three presets ("VMware iSCSI", "video editing over
//! SMB", "Raspberry Pi NFS root"), each sent to its API endpoint.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use crate::api::AppState;
use crate::engine::{self, EngineError};
use crate::web::{render, PageError, PageSession};
use crate::zfs::DatasetKind;

/// A dataset or volume as the lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub used: u64,
    pub available: u64,
    pub referenced: u64,
    pub volsize: Option<u64>,
    pub volblocksize: Option<u64>,
    pub recordsize: Option<u64>,
    pub compression: String,
    pub sync: String,
    pub quota: Option<u64>,
    /// A volume without a reservation (thin).
    pub sparse: bool,
    pub mountpoint: Option<String>,
    /// In the desired state (else found on a pool, not managed).
    pub declared: bool,
}

/// The filesystems or volumes of every imported pool, as rows.
pub fn rows(machine: &engine::Machine, kind: DatasetKind) -> Result<Vec<Row>, EngineError> {
    Ok(engine::storage::list(machine, None, kind)?
        .into_iter()
        .map(|found| {
            let r = found.row;
            Row {
                sparse: r.volsize.is_some() && r.refreservation == 0,
                name: r.name,
                used: r.used,
                available: r.available,
                referenced: r.referenced,
                volsize: r.volsize,
                volblocksize: r.volblocksize,
                recordsize: r.recordsize,
                compression: r.compression.to_string(),
                sync: r.sync.to_string(),
                quota: r.quota,
                mountpoint: r.mountpoint,
                declared: found.declared,
            }
        })
        .collect())
}

/// Names of the imported pools, for the forms' hints.
pub fn pool_names(machine: &engine::Machine) -> Result<Vec<String>, EngineError> {
    Ok(engine::pools::list(machine)?
        .imported
        .into_iter()
        .map(|p| p.name)
        .collect())
}

/// `GET /ui/storage`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let (datasets, volumes, pools) = app
        .blocking(|app| {
            Ok::<_, EngineError>((
                rows(&app.machine, DatasetKind::Filesystem)?,
                rows(&app.machine, DatasetKind::Volume)?,
                pool_names(&app.machine)?,
            ))
        })
        .await??;
    let mut context = session.context("datasets", "Datasets & volumes");
    context.insert("datasets", &datasets);
    context.insert("volumes", &volumes);
    context.insert(
        "pool",
        &pools.first().cloned().unwrap_or_else(|| "tank".into()),
    );
    context.insert("pools", &pools);
    Ok(render("storage.html", &context)?)
}

#[cfg(test)]
mod tests;
