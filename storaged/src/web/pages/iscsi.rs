//! `/ui/iscsi`: the targets, a create form (one portal, LUN 0, one
//! initiator or any, CHAP), discovery CHAP and live sessions;
//! `/ui/iscsi/{iqn}`: one target's LUNs with their serial and NAA, the
//! esxcli lines the API gives (`lio::esxcli_lines`), and an edit form
//! for its portals, LUNs, initiator ACLs and CHAP (sent whole with
//! `PUT`, built by `static/iscsi.js`).

use axum::extract::{Path, State};
use axum::response::Html;
use serde::Serialize;

use super::storage::rows;
use crate::api::{ApiError, AppState};
use crate::engine::sharing::{self, ShownTarget};
use crate::engine::EngineError;
use crate::lio::{esxcli_lines, Access, Iqn, Target};
use crate::web::{render, PageError, PageSession};
use crate::zfs::DatasetKind;

/// The adapter name the esxcli lines use, as the API's own
/// (`esxcli iscsi adapter list` tells the host's).
const ESXI_ADAPTER: &str = "vmhba64";

#[derive(Debug, Serialize)]
struct LunRow {
    number: u16,
    zvol: String,
    block_size: u32,
    read_only: bool,
    serial: Option<String>,
    naa: Option<String>,
    /// Its volume is among those listed (else the edit form adds it).
    listed: bool,
}

/// A target as the pages show it.
#[derive(Debug, Serialize)]
struct TargetView {
    iqn: String,
    portals: Vec<String>,
    luns: Vec<LunRow>,
    allow_all: bool,
    initiators: Vec<String>,
    /// The CHAP user (the first one, when ACLs carry several).
    chap_user: Option<String>,
    mutual_user: Option<String>,
    next_lun: u16,
}

fn view(shown: ShownTarget) -> TargetView {
    let Target {
        iqn,
        portals,
        luns,
        access,
    } = shown.target;
    let (allow_all, initiators, chap) = match access {
        Access::AllowAll { chap } => (true, Vec::new(), chap),
        Access::Initiators { acls } => (
            false,
            acls.iter().map(|a| a.initiator.to_string()).collect(),
            acls.into_iter().find_map(|a| a.chap),
        ),
    };
    let next_lun = luns.iter().map(|l| l.number + 1).max().unwrap_or(0);
    TargetView {
        iqn: iqn.to_string(),
        portals: portals.iter().map(|p| p.to_string()).collect(),
        luns: luns
            .into_iter()
            .zip(shown.identities)
            .map(|(lun, id)| LunRow {
                number: lun.number,
                zvol: lun.zvol.to_string(),
                block_size: lun.block_size.bytes(),
                read_only: lun.read_only,
                serial: id.as_ref().map(|i| i.serial.clone()),
                naa: id.map(|i| i.naa),
                listed: false,
            })
            .collect(),
        allow_all,
        initiators,
        chap_user: chap.as_ref().map(|c| c.user.clone()),
        mutual_user: chap.and_then(|c| c.mutual.map(|m| m.user)),
        next_lun,
    }
}

#[derive(Debug, Serialize)]
struct SessionRow {
    target: String,
    initiator: String,
    acl: bool,
}

/// `GET /ui/iscsi`.
pub async fn page(
    State(app): State<AppState>,
    session: PageSession,
) -> Result<Html<String>, PageError> {
    let (targets, volumes, sessions) = app
        .blocking(|app| {
            let targets = sharing::iscsi_targets(&app.machine)?;
            let volumes = rows(&app.machine, DatasetKind::Volume)?;
            let sessions = sharing::iscsi_sessions(&app.machine);
            Ok::<_, EngineError>((targets, volumes, sessions))
        })
        .await??;
    let targets: Vec<TargetView> = targets.into_iter().map(view).collect();
    let sessions: Vec<SessionRow> = sessions
        .into_iter()
        .map(|s| SessionRow {
            target: s.target,
            initiator: s.initiator,
            acl: s.acl,
        })
        .collect();
    let mut context = session.context("iscsi", "iSCSI");
    context.insert("targets", &targets);
    context.insert("volumes", &volumes);
    context.insert("sessions", &sessions);
    Ok(render("iscsi.html", &context)?)
}

/// `GET /ui/iscsi/{iqn}`.
pub async fn target(
    State(app): State<AppState>,
    session: PageSession,
    Path(iqn): Path<String>,
) -> Result<Html<String>, PageError> {
    let iqn: Iqn = iqn
        .parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("iqn", e.to_string()))?;
    let (shown, volumes) = app
        .blocking(move |app| {
            let shown = sharing::iscsi_target(&app.machine, &iqn)?;
            Ok::<_, EngineError>((shown, rows(&app.machine, DatasetKind::Volume)?))
        })
        .await??;
    let lines = esxcli_lines(&shown.target, ESXI_ADAPTER);
    let mut esxi = vec![
        format!("# On the ESXi host; {ESXI_ADAPTER} is its software iSCSI adapter (esxcli iscsi adapter list)."),
        "# Once per host: Round Robin for ironstor's LUNs".to_string(),
        lines.claim_rule,
        "# Dynamic discovery (SendTargets)".to_string(),
    ];
    esxi.extend(lines.dynamic_discovery);
    esxi.push("# or static discovery".to_string());
    esxi.extend(lines.static_discovery);
    esxi.push("# then".to_string());
    esxi.push(lines.rescan);
    let mut target = view(shown);
    for lun in &mut target.luns {
        lun.listed = volumes.iter().any(|v| v.name == lun.zvol);
    }
    let mut context = session.context("iscsi", &format!("Target {}", target.iqn));
    context.insert("target", &target);
    context.insert("volumes", &volumes);
    context.insert("esxi_lines", &esxi.join("\n"));
    // A wildcard portal listens on every address, but ESXi needs one of
    // them in its lines.
    context.insert(
        "wildcard_portal",
        &target
            .portals
            .iter()
            .any(|p| p.starts_with("0.0.0.0:") || p.starts_with("[::]:")),
    );
    Ok(render("iscsi_target.html", &context)?)
}

#[cfg(test)]
mod tests;
