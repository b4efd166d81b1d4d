//! Presets: one request that makes a dataset or zvol with the settings a
//! use needs (and its share, export or LUN), through the same engine
//! operations as the plain endpoints (`engine/presets.rs`).

use std::net::Ipv4Addr;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{error_response, json_request, json_response, request, response};
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::presets::{self, PresetInfo, ServerSource};
use crate::lio::Iqn;
use crate::names::DatasetName;
use crate::samba::{AccountName, ShareName};
use crate::sharing::SharingReport;
use crate::state::NfsExport;
use crate::zfs::Plan;

pub fn group() -> Group {
    let answers = |ok: serde_json::Value| {
        json!({
            "201": ok,
            "404": error_response("The pool is not imported, or the named target or user is not declared."),
            "409": error_response("The name, share or LUN is taken, or the pool is out of space."),
            "422": error_response("A bad name, size, address or value; `field` names it. Nothing was changed."),
            "500": error_response("The share, export or LUN was refused after the dataset was made; the message says it was destroyed again (or why not)."),
        })
    };
    Group {
        name: "presets",
        description: "Recipes for common uses: a VMware iSCSI datastore, video editing over SMB, \
            a Raspberry Pi's NFS root. Each makes its dataset or zvol (and share, export or LUN) \
            through the same checks as the plain endpoints, all or nothing.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/presets",
                Access::Admin,
                list,
                json!({
                    "summary": "The presets, what they set and their warnings",
                    "operationId": "listPresets",
                    "responses": {"200": json_response::<PresetList>("The presets.")},
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/presets/vmware-iscsi",
                Access::Admin,
                vmware_iscsi,
                json!({
                    "summary": "A sparse zvol with 16K blocks for an ESXi datastore",
                    "description": "With `target`, the zvol is added to that declared iSCSI \
                        target as LUN `lun` (the lowest free number when not given).",
                    "operationId": "presetVmwareIscsi",
                    "requestBody": json_request::<VmwareIscsiRequest>(),
                    "responses": answers(json_response::<VmwareIscsiAnswer>("Created (and added as a LUN).")),
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/presets/smb-video",
                Access::Admin,
                smb_video,
                json!({
                    "summary": "A dataset with 1M records for video, optionally shared over SMB",
                    "operationId": "presetSmbVideo",
                    "requestBody": json_request::<SmbVideoRequest>(),
                    "responses": answers(json_response::<SmbVideoAnswer>("Created (and shared).")),
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/presets/pi-nfs-root",
                Access::Admin,
                pi_nfs_root,
                json!({
                    "summary": "A dataset exported as one Raspberry Pi's NFS root",
                    "description": "Exported to `client` only, `rw,no_root_squash`, sync unless \
                        `async`; `insecure` only when asked. The answer carries the Pi's \
                        cmdline.txt line and a warning for each risky choice.",
                    "operationId": "presetPiNfsRoot",
                    "requestBody": json_request::<PiNfsRootRequest>(),
                    "responses": answers(json_response::<PiNfsRootAnswer>("Created and exported.")),
                }),
            ),
        ],
        types: vec![
            response::<PresetList>(),
            request::<VmwareIscsiRequest>(),
            response::<VmwareIscsiAnswer>(),
            request::<SmbVideoRequest>(),
            response::<SmbVideoAnswer>(),
            request::<PiNfsRootRequest>(),
            response::<PiNfsRootAnswer>(),
        ],
    }
}

/// `GET /presets`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PresetList {
    pub presets: Vec<PresetInfo>,
}

/// `POST /presets/vmware-iscsi`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VmwareIscsiRequest {
    /// The zvol's full name (`tank/esx1`).
    pub volume: DatasetName,
    /// Bytes; a multiple of 16384.
    #[schemars(range(min = 1), example = 107374182400u64)]
    pub size: u64,
    /// A declared iSCSI target to add the zvol to as a LUN.
    #[serde(default)]
    pub target: Option<Iqn>,
    /// The LUN number (needs `target`); the lowest free one when not given.
    #[serde(default)]
    pub lun: Option<u16>,
}

/// The LUN a preset added.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AddedLun {
    pub target: Iqn,
    pub number: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VmwareIscsiAnswer {
    /// What `zfs` ran, with the thin-provisioning warning.
    pub volume: Plan,
    #[serde(default)]
    pub lun: Option<AddedLun>,
    /// What the sharing services did, when a LUN was added.
    #[serde(default)]
    pub sharing: Option<SharingReport>,
    pub next_steps: Vec<String>,
}

/// `POST /presets/smb-video`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmbVideoRequest {
    /// The dataset's full name (`tank/video`).
    pub dataset: DatasetName,
    /// Share it over SMB under this name.
    #[serde(default)]
    pub share: Option<ShareName>,
    /// Declared users allowed into the share (needs `share`); every user
    /// when empty.
    #[serde(default)]
    pub users: Vec<AccountName>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SmbVideoAnswer {
    pub dataset: Plan,
    #[serde(default)]
    pub share: Option<ShareName>,
    #[serde(default)]
    pub sharing: Option<SharingReport>,
    pub next_steps: Vec<String>,
}

/// `POST /presets/pi-nfs-root`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PiNfsRootRequest {
    /// The dataset's full name (`tank/pi/kitchen`).
    pub dataset: DatasetName,
    /// The Pi's one IPv4 address (give it a fixed DHCP lease).
    #[schemars(with = "String", example = "192.168.1.50")]
    pub client: Ipv4Addr,
    /// Acknowledge writes before they are on the pool (a warning comes back).
    #[serde(default)]
    pub r#async: bool,
    /// Accept requests from unprivileged ports (a warning comes back).
    #[serde(default)]
    pub insecure: bool,
    /// The box's address for the Pi's `nfsroot=`; when not given, the
    /// address the box routes to the Pi from.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub server: Option<Ipv4Addr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PiNfsRootAnswer {
    pub dataset: Plan,
    pub export: NfsExport,
    /// The exported path: what follows `nfsroot=<server>:`.
    pub path: String,
    /// The address in `cmdline`; null when none was found.
    #[schemars(with = "Option<String>")]
    pub server: Option<Ipv4Addr>,
    /// `request`, `route` (the box's address towards the Pi) or `unknown`
    /// (the line holds `<box-address>` to replace).
    pub server_source: ServerSource,
    /// The whole line for the Pi's `cmdline.txt`.
    pub cmdline: String,
    pub sharing: SharingReport,
    /// `no_root_squash`'s, and `async`'s and `insecure`'s when asked for.
    pub warnings: Vec<String>,
    pub next_steps: Vec<String>,
}

async fn list() -> Json<PresetList> {
    Json(PresetList {
        presets: presets::catalog(),
    })
}

async fn vmware_iscsi(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<VmwareIscsiRequest>,
) -> Result<(StatusCode, Json<VmwareIscsiAnswer>), ApiError> {
    if request.lun.is_some() && request.target.is_none() {
        return Err(ApiError::invalid(
            "lun",
            "`lun` needs `target`: the LUN of which target?",
        ));
    }
    let input = presets::VmwareIscsi {
        volume: request.volume,
        size: request.size,
        target: request.target,
        lun: request.lun,
    };
    let done = app
        .mutate(move |app| presets::vmware_iscsi(&app.machine, input))
        .await??;
    Ok((
        StatusCode::CREATED,
        Json(VmwareIscsiAnswer {
            volume: done.plan,
            lun: done.lun.map(|(target, number)| AddedLun { target, number }),
            sharing: done.sharing,
            next_steps: done.next_steps,
        }),
    ))
}

async fn smb_video(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<SmbVideoRequest>,
) -> Result<(StatusCode, Json<SmbVideoAnswer>), ApiError> {
    if !request.users.is_empty() && request.share.is_none() {
        return Err(ApiError::invalid(
            "users",
            "`users` needs `share`: users are allowed into a share",
        ));
    }
    let share = request.share.clone();
    let input = presets::SmbVideo {
        dataset: request.dataset,
        share: request.share,
        users: request.users,
    };
    let done = app
        .mutate(move |app| presets::smb_video(&app.machine, input))
        .await??;
    Ok((
        StatusCode::CREATED,
        Json(SmbVideoAnswer {
            dataset: done.plan,
            share,
            sharing: done.sharing,
            next_steps: done.next_steps,
        }),
    ))
}

async fn pi_nfs_root(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<PiNfsRootRequest>,
) -> Result<(StatusCode, Json<PiNfsRootAnswer>), ApiError> {
    let client = request.client;
    if client.is_unspecified() || client.is_broadcast() || client.is_multicast() {
        return Err(ApiError::invalid(
            "client",
            format!("{client} is not one machine's address: give the Pi's own IPv4 address"),
        ));
    }
    let input = presets::PiNfsRoot {
        dataset: request.dataset,
        client,
        async_writes: request.r#async,
        insecure: request.insecure,
        server: request.server,
    };
    let done = app
        .mutate(move |app| presets::pi_nfs_root(&app.machine, input))
        .await??;
    Ok((
        StatusCode::CREATED,
        Json(PiNfsRootAnswer {
            dataset: done.plan,
            export: done.export,
            path: done.path,
            server: done.server,
            server_source: done.server_source,
            cmdline: done.cmdline,
            sharing: done.sharing,
            warnings: done.warnings,
            next_steps: done.next_steps,
        }),
    ))
}
