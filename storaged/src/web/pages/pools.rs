//! `/ui/pools`: the pools with their health and usage, the create form
//! (layout, several vdevs, forcing non-usable disks) and the declared
//! pools waiting for an import; `/ui/pools/{pool}`: one pool's vdev tree,
//! usage, scrub, per-disk actions and destroy.
//!
//! Reads go through the engine as `GET /api/v1/pools` does; every change
//! is a form `app.js` sends to the pools API (`static/pools.js` turns
//! "disks per vdev" into the request's `vdevs`).

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::Html;
use serde::Serialize;
use serde_json::json;

use super::{json_attr, utc};
use crate::api::{ApiError, AppState};
use crate::drives::{Inventory, Verdict};
use crate::engine::{self, EngineError};
use crate::names::PoolName;
use crate::web::{render, PageError, PageSession};
use crate::zfs::{Layout, PoolStatus, ScanFunction, ScanState, VdevStatus};

/// One row of the pool list.
#[derive(Debug, Serialize)]
struct PoolRow {
    name: String,
    declared: bool,
    imported: bool,
    layout: Option<String>,
    disks: usize,
    health: Option<String>,
    size: Option<u64>,
    allocated: Option<u64>,
    capacity_percent: Option<u64>,
}

/// A disk the create and replace forms may offer.
#[derive(Debug, Serialize)]
struct DiskChoice {
    id: String,
    kernel_name: String,
    model: String,
    size: u64,
    verdict: String,
    /// Usable as it is; otherwise only with `force`.
    usable: bool,
    why: String,
}

/// The disks a pool may be given: those with an id, not the boot medium,
/// not already a member of a declared pool, and never by an id that names
/// more than one disk (two drives reporting one serial can get the same
/// by-id link: a pool built on it could open either).
fn choices(inventory: &Inventory, taken: &BTreeSet<String>) -> Vec<DiskChoice> {
    let mut names: std::collections::BTreeMap<&str, usize> = Default::default();
    for d in &inventory.disks {
        let own: BTreeSet<&str> = d
            .by_id
            .iter()
            .map(String::as_str)
            .chain(d.id.as_ref().map(|i| i.as_str()))
            .collect();
        for name in own {
            *names.entry(name).or_default() += 1;
        }
    }
    inventory
        .disks
        .iter()
        .filter(|d| d.verdict != Verdict::BootMedium)
        .filter_map(|d| {
            let id = d.id.as_ref()?.to_string();
            let ambiguous = names.get(id.as_str()).is_some_and(|n| *n > 1);
            (!taken.contains(&id) && !ambiguous).then(|| DiskChoice {
                kernel_name: d.kernel_name.clone(),
                model: [d.vendor.as_deref(), d.model.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                size: d.size_bytes,
                verdict: d.verdict.to_string(),
                usable: d.verdict == Verdict::Usable,
                why: d.reasons.join("; "),
                id,
            })
        })
        .collect()
}

/// Pools, what they are made of, and the disks left to build with.
fn overview(machine: &engine::Machine) -> Result<(Vec<PoolRow>, Vec<DiskChoice>), EngineError> {
    let seen = engine::pools::list(machine)?;
    let mut names: BTreeSet<String> = seen.imported.iter().map(|r| r.name.clone()).collect();
    names.extend(seen.declared.iter().map(|p| p.name.to_string()));
    let rows = names
        .into_iter()
        .map(|name| {
            let row = seen.imported.iter().find(|r| r.name == name);
            let decl = seen.declared.iter().find(|p| p.name.as_str() == name);
            PoolRow {
                declared: decl.is_some(),
                imported: row.is_some(),
                layout: decl.map(|p| p.layout.to_string()),
                disks: decl.map_or(0, |p| p.disks().len()),
                health: row.map(|r| r.health.to_string()),
                size: row.map(|r| r.size),
                allocated: row.map(|r| r.allocated),
                capacity_percent: row.map(|r| r.capacity_percent),
                name,
            }
        })
        .collect();
    let taken: BTreeSet<String> = seen
        .declared
        .iter()
        .flat_map(|p| p.disks().into_iter().map(|d| d.to_string()))
        .collect();
    let inventory = engine::drives::inventory(machine)?;
    Ok((rows, choices(&inventory, &taken)))
}

/// `GET /ui/pools`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let (pools, disks) = app.blocking(|app| overview(&app.machine)).await??;
    // `zpool import` scans the disks; a failure there must not hide the
    // rest of the page, so it is shown in the section instead.
    let found = app
        .blocking(|app| engine::pools::importable(&app.machine))
        .await?;
    let mut context = session.context("pools", "Pools");
    let layouts: Vec<String> = Layout::ALL.iter().map(|l| l.to_string()).collect();
    let mut importable: Vec<ImportRow> = pools
        .iter()
        .filter(|p| !p.imported)
        .map(|p| ImportRow {
            name: p.name.clone(),
            found: "declared, not imported".into(),
        })
        .collect();
    match found {
        Ok(seen) => {
            for pool in seen.pools {
                if importable.iter().any(|r| r.name == pool.name) {
                    continue;
                }
                let declared = if seen.declared.contains(&pool.name) {
                    "declared"
                } else {
                    "not declared: importing adopts it"
                };
                importable.push(ImportRow {
                    found: format!("on the disks, {}; {declared}", pool.state),
                    name: pool.name,
                });
            }
        }
        Err(e) => context.insert("importable_error", &e.to_string()),
    }
    context.insert("importable", &importable);
    context.insert("pools", &pools);
    context.insert("disks", &disks);
    context.insert("layouts", &layouts);
    Ok(render("pools.html", &context)?)
}

/// A pool the page offers to import.
#[derive(Debug, Serialize)]
struct ImportRow {
    name: String,
    found: String,
}

/// One line of the vdev tree, flattened with its depth.
#[derive(Debug, Serialize)]
struct VdevRow {
    depth: usize,
    name: String,
    kind: String,
    state: String,
    aux: Option<String>,
    read: u64,
    write: u64,
    checksum: u64,
    /// A disk: it gets the per-disk actions.
    leaf: bool,
    /// `data-body` of its online / offline / clear buttons.
    disk_body: String,
    offline_body: String,
    /// Offline until the next reboot or import.
    offline_temporary_body: String,
}

fn flatten(vdevs: &[VdevStatus], depth: usize, out: &mut Vec<VdevRow>) {
    for v in vdevs {
        let leaf = v.children.is_empty() && matches!(v.vdev_type.as_str(), "disk" | "file");
        out.push(VdevRow {
            depth,
            name: v.name.clone(),
            kind: v.class.as_deref().map_or_else(
                || v.vdev_type.clone(),
                |c| match c {
                    "normal" => v.vdev_type.clone(),
                    other => format!("{} ({other})", v.vdev_type),
                },
            ),
            state: v.state.to_string(),
            aux: v.aux.clone(),
            read: v.errors.read,
            write: v.errors.write,
            checksum: v.errors.checksum,
            leaf,
            disk_body: json_attr(&json!({ "disk": v.name })),
            offline_body: json_attr(&json!({ "disk": v.name, "temporary": false })),
            offline_temporary_body: json_attr(&json!({ "disk": v.name, "temporary": true })),
        });
        flatten(&v.children, depth + 1, out);
    }
}

/// "Scrub finished 2026-12-07 18:40 UTC, 0 errors", or what runs now.
fn last_scrub(status: &PoolStatus) -> (String, bool) {
    let Some(scan) = &status.scan else {
        return ("never scrubbed".into(), false);
    };
    let what = match scan.function {
        ScanFunction::Scrub | ScanFunction::ErrorScrub => "scrub",
        ScanFunction::Resilver => "resilver",
        ScanFunction::None => return ("never scrubbed".into(), false),
        ScanFunction::Other => "scan",
    };
    let started = utc(scan.start_time).unwrap_or_else(|| "?".into());
    match scan.state {
        ScanState::Scanning | ScanState::ErrorScrubbing => {
            let done =
                (scan.issued.max(scan.examined) as f64 * 100.0) / (scan.to_examine.max(1) as f64);
            (
                format!("{what} running since {started}, {done:.0} % done"),
                true,
            )
        }
        ScanState::Finished => (
            format!(
                "{what} finished {}, {} errors",
                utc(scan.end_time).unwrap_or_else(|| "?".into()),
                scan.errors
            ),
            false,
        ),
        ScanState::Canceled => (format!("{what} started {started} was canceled"), false),
        ScanState::None | ScanState::Other => ("never scrubbed".into(), false),
    }
}

/// `GET /ui/pools/{pool}`.
pub async fn detail(
    State(app): State<AppState>,
    session: PageSession,
    Path(pool): Path<String>,
) -> Result<Html<String>, PageError> {
    let name: PoolName = pool
        .parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("pool", e.to_string()))?;
    let (status, (_, disks)) = app
        .blocking(move |app| {
            let status = match engine::pools::status(&app.machine, &name) {
                Ok(found) => Some(found),
                Err(EngineError::PoolNotImported { .. }) => None,
                Err(e) => return Err(e),
            };
            Ok((status, overview(&app.machine)?))
        })
        .await??;
    let mut context = session.context("pools", &format!("Pool {pool}"));
    context.insert("pool", &pool);
    context.insert("disks", &disks);
    context.insert("imported", &status.is_some());
    if let Some((status, declared)) = status {
        let mut vdevs = Vec::new();
        flatten(&status.vdevs, 0, &mut vdevs);
        let (scrub, scanning) = last_scrub(&status);
        context.insert("health", &status.health.to_string());
        context.insert("size", &status.size);
        context.insert("allocated", &status.allocated);
        context.insert("free", &status.free);
        context.insert("capacity_percent", &status.capacity_percent);
        context.insert("status_text", &status.status);
        context.insert("action_text", &status.action);
        context.insert("error_count", &status.error_count);
        context.insert("vdevs", &vdevs);
        context.insert("last_scrub", &scrub);
        context.insert("scanning", &scanning);
        context.insert("declared", &declared.is_some());
        context.insert(
            "created",
            &declared.as_ref().and_then(|d| utc(d.created_unix)),
        );
    }
    Ok(render("pool.html", &context)?)
}

#[cfg(test)]
pub(super) mod tests;
