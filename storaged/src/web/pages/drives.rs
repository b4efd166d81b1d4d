//! `/ui/drives`: every disk the kernel sees, its verdict and why, the
//! boot medium marked. Each disk is one row, even two reporting the same
//! serial: the inventory lists them apart.

use std::time::Duration;

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
    /// °C, from the collector's latest sample (the one place storaged
    /// samples the machine), when the drive reports one.
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
    // No sample yet (the collector rests while nobody watches) is no
    // temperature, not an error: the page must not wait long for it.
    let sample = app.collector.latest(Duration::from_secs(3)).await.ok();
    let temperature_of = |kernel_name: &str| {
        sample.as_ref().and_then(|s| {
            s.drives
                .iter()
                .find(|d| d.kernel_name == kernel_name)
                .and_then(|d| d.temperature_celsius)
        })
    };
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
            temperature: temperature_of(&d.kernel_name),
            kernel_name: d.kernel_name,
        })
        .collect();
    let mut context = session.context("drives", "Drives");
    context.insert("disks", &disks);
    Ok(render("drives.html", &context)?)
}

#[cfg(test)]
mod tests;
