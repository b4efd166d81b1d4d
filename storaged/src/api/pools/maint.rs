//! Pool maintenance endpoints: replace a member, online, offline, clear,
//! and the pools `zpool import` could import.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::Method;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::openapi::{
    error_response, json_request, json_response, request, response, TypeSchema,
};
use super::super::{Access, ApiError, ApiJson, AppState, Endpoint};
use super::{pool_param, pool_parameter, ForcedDisk};
use crate::engine::pools;
use crate::names::{DiskId, PoolName};
use crate::zfs::{Health, ImportableMember};

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/pools/importable",
            Access::Admin,
            importable,
            json!({
                "summary": "Pools on the machine's disks that are not imported",
                "description": "`zpool import -d /dev/disk/by-id`: each pool with its guid \
                    (`id`, a decimal string), state, zpool's status and action paragraphs and \
                    its members. `declared` says whether the desired state declares it (an \
                    exported declared pool); importing one that is not declared adopts it \
                    (POST /pools/{pool}/import). Nothing is imported by listing.",
                "operationId": "listImportablePools",
                "responses": {
                    "200": json_response::<ImportablePools>("The pools, in zpool's order."),
                    "500": error_response("`zpool import` failed or printed what storaged cannot read."),
                },
            }),
        ),
        Endpoint::new(
            Method::POST,
            "/pools/{pool}/replace",
            Access::Admin,
            replace,
            json!({
                "summary": "Replace a member disk (zpool replace)",
                "description": "`old` must be a member (GET /pools/{pool} lists them, a missing \
                    disk included); `new` must be in the inventory and not a member, and is \
                    checked like a member of a new pool: its verdict must be `usable`, or \
                    `force` true (never `boot-medium`), which also lets zpool overwrite what \
                    it holds. The declaration names `new` in the place of `old` as soon as \
                    the replace started; the resilver runs on its own (GET /pools/{pool} \
                    shows its progress under `scan`).",
                "operationId": "replacePoolDisk",
                "parameters": [pool_parameter()],
                "requestBody": json_request::<ReplaceDisk>(),
                "responses": {
                    "200": json_response::<DiskReplaced>("The replace started."),
                    "404": error_response("No such pool is imported, or `old` is not a member."),
                    "409": error_response("The pool is declared but not imported; or `new` is \
                        refused (its verdict and reason), in use, too small, or zpool refused \
                        (the message holds its reason)."),
                    "422": error_response("A bad disk id, `new` not in the inventory or \
                        shared by several disks, `new` already a member or equal to `old`; \
                        `field` names it."),
                },
            }),
        ),
        Endpoint::new(
            Method::POST,
            "/pools/{pool}/online",
            Access::Admin,
            online,
            json!({
                "summary": "Bring a member disk online (zpool online)",
                "operationId": "onlinePoolDisk",
                "parameters": [pool_parameter()],
                "requestBody": json_request::<OnlineDisk>(),
                "responses": {
                    "200": json_response::<DiskMaintained>("What ran."),
                    "404": error_response("No such pool is imported, or `disk` is not a member."),
                    "409": error_response("The pool is declared but not imported, or zpool \
                        refused (the message holds its reason)."),
                    "422": error_response("`disk` is not a valid disk id."),
                },
            }),
        ),
        Endpoint::new(
            Method::POST,
            "/pools/{pool}/offline",
            Access::Admin,
            offline,
            json!({
                "summary": "Take a member disk offline (zpool offline)",
                "description": "The pool keeps running on its redundancy; a disk whose vdev \
                    has none left is refused (409, zpool's \"no valid replicas\"). \
                    `temporary`: only until the pool is next imported (a reboot), else until \
                    `online`.",
                "operationId": "offlinePoolDisk",
                "parameters": [pool_parameter()],
                "requestBody": json_request::<OfflineDisk>(),
                "responses": {
                    "200": json_response::<DiskMaintained>("What ran."),
                    "404": error_response("No such pool is imported, or `disk` is not a member."),
                    "409": error_response("The pool is declared but not imported, or zpool \
                        refused (no valid replicas, mostly)."),
                    "422": error_response("`disk` is not a valid disk id."),
                },
            }),
        ),
        Endpoint::new(
            Method::POST,
            "/pools/{pool}/clear",
            Access::Admin,
            clear,
            json!({
                "summary": "Clear error counts (zpool clear)",
                "description": "Of one member (`disk`) or of the whole pool (no `disk`); a \
                    faulted member is tried again.",
                "operationId": "clearPoolErrors",
                "parameters": [pool_parameter()],
                "requestBody": json_request::<ClearErrors>(),
                "responses": {
                    "200": json_response::<DiskMaintained>("What ran."),
                    "404": error_response("No such pool is imported, or `disk` is not a member."),
                    "409": error_response("The pool is declared but not imported."),
                    "422": error_response("`disk` is not a valid disk id."),
                },
            }),
        ),
    ]
}

pub(super) fn types() -> Vec<TypeSchema> {
    vec![
        request::<ReplaceDisk>(),
        request::<OnlineDisk>(),
        request::<OfflineDisk>(),
        request::<ClearErrors>(),
        response::<ImportablePools>(),
        response::<DiskReplaced>(),
        response::<DiskMaintained>(),
    ]
}

/// `POST /pools/{pool}/replace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ReplaceDiskRequest")]
#[serde(deny_unknown_fields)]
pub struct ReplaceDisk {
    /// The member to replace.
    pub old: DiskId,
    /// The disk to resilver in its place, by inventory id.
    pub new: DiskId,
    /// Take `new` although its verdict is not `usable` (never
    /// `boot-medium`); what it holds is overwritten.
    #[serde(default)]
    pub force: bool,
}

/// `POST /pools/{pool}/online`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "OnlineDiskRequest")]
#[serde(deny_unknown_fields)]
pub struct OnlineDisk {
    pub disk: DiskId,
}

/// `POST /pools/{pool}/offline`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "OfflineDiskRequest")]
#[serde(deny_unknown_fields)]
pub struct OfflineDisk {
    pub disk: DiskId,
    /// Only until the pool is next imported (`zpool offline -t`).
    #[serde(default)]
    pub temporary: bool,
}

/// `POST /pools/{pool}/clear`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ClearErrorsRequest")]
#[serde(deny_unknown_fields)]
pub struct ClearErrors {
    /// One member; none: the whole pool.
    #[serde(default)]
    pub disk: Option<DiskId>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct DiskReplaced {
    pub pool: PoolName,
    pub old: DiskId,
    pub new: DiskId,
    /// `new`, if it was taken past its verdict.
    pub forced: Option<ForcedDisk>,
    /// Whether the declaration now names `new` (false for a pool that is
    /// imported but not declared).
    pub declared: bool,
    /// What ran.
    pub command: String,
}

/// The answer of online, offline and clear.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct DiskMaintained {
    pub pool: PoolName,
    pub disk: Option<DiskId>,
    /// What ran.
    pub command: String,
}

/// One pool of `GET /pools/importable`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct ImportablePool {
    pub name: String,
    /// The pool's guid in decimal (a string: it exceeds JSON's safe
    /// integers).
    pub id: String,
    pub state: Health,
    pub status: Option<String>,
    pub action: Option<String>,
    /// Whether the desired state declares it (importing it then adopts
    /// nothing).
    pub declared: bool,
    pub members: Vec<ImportableMember>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct ImportablePools {
    pub pools: Vec<ImportablePool>,
}

async fn importable(State(app): State<AppState>) -> Result<Json<ImportablePools>, ApiError> {
    let seen = app
        .blocking(|app| pools::importable(&app.machine))
        .await??;
    let declared: &BTreeSet<String> = &seen.declared;
    let pools = seen
        .pools
        .into_iter()
        .map(|p| ImportablePool {
            declared: declared.contains(&p.name),
            name: p.name,
            id: p.id,
            state: p.state,
            status: p.status,
            action: p.action,
            members: p.members,
        })
        .collect();
    Ok(Json(ImportablePools { pools }))
}

async fn replace(
    State(app): State<AppState>,
    Path(pool): Path<String>,
    ApiJson(request): ApiJson<ReplaceDisk>,
) -> Result<Json<DiskReplaced>, ApiError> {
    let pool = pool_param(&pool)?;
    let answer = app
        .mutate(move |app| {
            pools::replace(
                &app.machine,
                &pool,
                &request.old,
                &request.new,
                request.force,
            )
            .map(|r| DiskReplaced {
                pool,
                old: request.old,
                new: request.new,
                forced: r.forced.map(|f| ForcedDisk {
                    id: f.id,
                    verdict: f.verdict,
                }),
                declared: r.declared,
                command: r.command.to_string(),
            })
        })
        .await??;
    Ok(Json(answer))
}

async fn online(
    State(app): State<AppState>,
    Path(pool): Path<String>,
    ApiJson(request): ApiJson<OnlineDisk>,
) -> Result<Json<DiskMaintained>, ApiError> {
    let pool = pool_param(&pool)?;
    let answer = app
        .mutate(move |app| {
            pools::online(&app.machine, &pool, &request.disk).map(|m| DiskMaintained {
                pool,
                disk: Some(request.disk),
                command: m.command.to_string(),
            })
        })
        .await??;
    Ok(Json(answer))
}

async fn offline(
    State(app): State<AppState>,
    Path(pool): Path<String>,
    ApiJson(request): ApiJson<OfflineDisk>,
) -> Result<Json<DiskMaintained>, ApiError> {
    let pool = pool_param(&pool)?;
    let answer = app
        .mutate(move |app| {
            pools::offline(&app.machine, &pool, &request.disk, request.temporary).map(|m| {
                DiskMaintained {
                    pool,
                    disk: Some(request.disk),
                    command: m.command.to_string(),
                }
            })
        })
        .await??;
    Ok(Json(answer))
}

async fn clear(
    State(app): State<AppState>,
    Path(pool): Path<String>,
    ApiJson(request): ApiJson<ClearErrors>,
) -> Result<Json<DiskMaintained>, ApiError> {
    let pool = pool_param(&pool)?;
    let answer = app
        .mutate(move |app| {
            pools::clear(&app.machine, &pool, request.disk.as_ref()).map(|m| DiskMaintained {
                pool,
                disk: request.disk,
                command: m.command.to_string(),
            })
        })
        .await??;
    Ok(Json(answer))
}
