//! `/ui/drives`: every disk the kernel sees, its verdict and why, the
//! boot medium marked. Each disk is one row, even two reporting the same
//! serial: the inventory lists them apart.

use axum::extract::State;
use axum::response::Html;
use serde::Serialize;

use crate::api::AppState;
use crate::drives::Verdict;
use crate::engine;
use crate::web::{render, PageError, PageSession};

#[derive(Debug, Serialize)]
struct DiskRow {
    /// Empty for a disk udev gave no by-id name.
    id: String,
    kernel_name: String,
    model: String,
    serial: String,
    size: u64,
    transport: String,
    rotational: bool,
    verdict: String,
    usable: bool,
    boot: bool,
    reasons: Vec<String>,
    warnings: Vec<String>,
    /// °C, when the engine has it. TODO(merge): the dashboard's collector
    /// (branch `web`) samples drive temperatures; read them from there.
    temperature: Option<f64>,
}

/// `GET /ui/drives`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let inventory = app
        .blocking(|app| engine::drives::inventory(&app.machine))
        .await??;
    let disks: Vec<DiskRow> = inventory
        .disks
        .into_iter()
        .map(|d| DiskRow {
            id: d.id.map(|i| i.to_string()).unwrap_or_default(),
            model: [d.vendor.as_deref(), d.model.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            serial: d.serial.unwrap_or_default(),
            size: d.size_bytes,
            transport: d.transport.to_string(),
            rotational: d.rotational,
            verdict: d.verdict.to_string(),
            usable: d.verdict == Verdict::Usable,
            boot: d.verdict == Verdict::BootMedium,
            reasons: d.reasons,
            warnings: d.warnings,
            temperature: None,
            kernel_name: d.kernel_name,
        })
        .collect();
    let mut context = session.context("drives", "Drives");
    context.insert("disks", &disks);
    Ok(render("drives.html", &context)?)
}

#[cfg(test)]
mod tests;
