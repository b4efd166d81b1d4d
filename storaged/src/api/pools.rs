//! Pools: list, create from inventory disks, status, import, export,
//! scrub, destroy.
//!
//! Creating a pool takes only disks the inventory knows, by id. A disk
//! whose verdict is not `usable` is refused unless the request names it in
//! `force`; the boot medium is refused even then. Every check (names,
//! layout, disks, the desired state) runs before `zpool` does, and the
//! state is saved only once `zpool` succeeded.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::openapi::{
    error_response, json_request, json_response, path_parameter, request, response,
};
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::drives::Verdict;
use crate::engine::pools::{self, NewPool};
use crate::names::{DiskId, PoolName};
use crate::state;
use crate::zfs::{Health, ImportOutcome, Layout, PoolListRow, PoolPlan, PoolStatus, ScrubOutcome};

mod maint;

pub use maint::{
    ClearErrors, DiskMaintained, DiskReplaced, ImportablePool, ImportablePools, OfflineDisk,
    OnlineDisk, ReplaceDisk,
};

fn pool_parameter() -> Value {
    path_parameter("pool", "The pool's name.", "tank")
}

pub fn group() -> Group {
    Group {
        name: "pools",
        description: "ZFS pools: built from inventory disks by id, declared in the desired \
            state, imported again at every start.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/pools",
                Access::Admin,
                list,
                json!({
                    "summary": "Declared and imported pools, with health and capacity",
                    "description": "Every pool the desired state declares and every pool \
                        imported on the machine. A declared pool that is not imported (after \
                        an export, or with missing disks) has no health or capacity.",
                    "operationId": "listPools",
                    "responses": {
                        "200": json_response::<PoolList>("The pools, by name."),
                        "500": error_response("`zpool list` failed."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/pools",
                Access::Admin,
                create,
                json!({
                    "summary": "Create a pool from inventory disks and declare it",
                    "description": "Either `layout` and `disks` (one vdev; for a stripe, one \
                        vdev per disk) or `vdevs`, a list of `{layout, disks}` (striped mirrors: \
                        several `mirror` vdevs; several RAIDZ vdevs), never both. Every vdev \
                        has the same layout and the same number of disks (ZFS warns of a \
                        mismatched replication level otherwise), and at least the layout's \
                        minimum (mirror 2, raidz1 3, raidz2 4, raidz3 5). \
                        All members must be in the inventory (GET /drives), by id; a \
                        /dev/disk/by-id link that several disks claim (two drives reporting \
                        one serial) is refused: each such disk has an id of its own. A disk whose verdict is not `usable` is refused unless its id \
                        is also in `force`, which lets `zpool create -f` overwrite what it \
                        holds; a `boot-medium` disk is refused even then. The refusal names \
                        each disk, its verdict and why. Nothing runs until every check \
                        passed; the pool is declared only once `zpool create` succeeded. It \
                        mounts below the state directory (`<state dir>/pools/<name>`). The \
                        answer carries warnings to show the admin: a stripe has no \
                        redundancy.",
                    "operationId": "createPool",
                    "requestBody": json_request::<CreatePool>(),
                    "responses": {
                        "201": json_response::<PoolCreated>("The pool exists and is declared."),
                        "409": error_response("A disk is refused (named with its verdict and \
                            reason), in another pool or in use; or the pool exists already."),
                        "422": error_response("A bad name or layout, both or neither of \
                            `layout`+`disks` and `vdevs`, vdevs of different layouts or widths, \
                            too few disks, a disk id not in the inventory or shared by several \
                            disks, or a `force` entry not among the members; `field` names it."),
                        "500": error_response("`zpool create` failed; the message holds its error."),
                    },
                }),
            ),
            Endpoint::new(
                Method::GET,
                "/pools/{pool}",
                Access::Admin,
                status,
                json!({
                    "summary": "A pool's health, capacity, scrub and vdev errors",
                    "description": "`scan` is the last or current scrub or resilver from \
                        `zpool status`: `function` (scrub, resilver), `state` (scanning, \
                        finished, canceled), `start_time` and `end_time` (Unix seconds; \
                        `end_time` 0 while scanning), `examined` of `to_examine` bytes and \
                        `errors`; `null` when the pool was never scanned. `vdevs` is the \
                        tree: `mirror-0`, `raidz2-1`, ... with their disks, each with state \
                        and read, write and checksum errors.",
                    "operationId": "getPool",
                    "parameters": [pool_parameter()],
                    "responses": {
                        "200": json_response::<PoolDetail>("`zpool list` and `zpool status` of the pool, and its declaration."),
                        "404": error_response("No such pool is imported or declared."),
                        "409": error_response("The pool is declared but not imported."),
                        "422": error_response("`pool` is not a valid pool name."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/pools/{pool}/import",
                Access::Admin,
                import,
                json!({
                    "summary": "Import a pool by disk id; adopt it if it is not declared",
                    "description": "`zpool import -d /dev/disk/by-id -N`, then mounts its \
                        filesystems. A pool that looks in use by another system is refused \
                        (409) unless `force` is true. Importing a pool that is already \
                        imported changes nothing. A pool the desired state does not declare \
                        but `GET /pools/importable` lists is adopted: declared with the vdevs \
                        zpool lists, so it is imported at every start (`adopted: true` in the \
                        answer). Adoption is refused (409, before anything is imported) for \
                        a pool with missing members, log/cache/spare vdevs or mixed layouts.",
                    "operationId": "importPool",
                    "parameters": [pool_parameter()],
                    "requestBody": json_request::<ImportPool>(),
                    "responses": {
                        "200": json_response::<PoolImported>("What the import did."),
                        "404": error_response("The pool is neither declared nor importable."),
                        "409": error_response("The pool looks in use by another system, or \
                            cannot be adopted (the message says why)."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/pools/{pool}/export",
                Access::Admin,
                export,
                json!({
                    "summary": "Export a pool; it stays declared",
                    "description": "`zpool export`: its filesystems are unmounted and its \
                        disks may be moved. The pool stays declared in the desired state, so \
                        storaged imports it again at its next start; destroy it to stop \
                        declaring it.",
                    "operationId": "exportPool",
                    "parameters": [pool_parameter()],
                    "responses": {
                        "200": json_response::<PoolExported>("The pool is exported."),
                        "404": error_response("No such pool is imported."),
                        "500": error_response("`zpool export` failed (busy, mostly)."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/pools/{pool}/scrub",
                Access::Admin,
                scrub,
                json!({
                    "summary": "Start a scrub",
                    "description": "A scrub already running is not an error.",
                    "operationId": "scrubPool",
                    "parameters": [pool_parameter()],
                    "responses": {
                        "200": json_response::<PoolScrub>("Whether a scrub started."),
                        "404": error_response("No such pool is imported."),
                        "409": error_response("A resilver is running."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/pools/{pool}",
                Access::Admin,
                destroy,
                json!({
                    "summary": "Destroy a pool and everything in it",
                    "description": "`zpool destroy`, only when `confirm` repeats the pool's \
                        name. Every dataset, volume and snapshot in it is lost. The pool and \
                        everything declared in it are removed from the desired state once \
                        the pool is gone.",
                    "operationId": "destroyPool",
                    "parameters": [pool_parameter()],
                    "requestBody": json_request::<DestroyPool>(),
                    "responses": {
                        "200": json_response::<PoolDestroyed>("The pool is gone."),
                        "404": error_response("No such pool is imported."),
                        "422": error_response("`confirm` is missing or is not the pool's name."),
                    },
                }),
            ),
        ]
        .into_iter()
        .chain(maint::endpoints())
        .collect(),
        types: vec![
            request::<CreatePool>(),
            request::<ImportPool>(),
            request::<DestroyPool>(),
            response::<PoolCreated>(),
            response::<PoolList>(),
            response::<PoolDetail>(),
            response::<PoolImported>(),
            response::<PoolExported>(),
            response::<PoolScrub>(),
            response::<PoolDestroyed>(),
        ]
        .into_iter()
        .chain(maint::types())
        .collect(),
    }
}

/// `POST /pools`: `layout` and `disks`, or `vdevs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CreatePoolRequest")]
#[serde(deny_unknown_fields)]
pub struct CreatePool {
    pub name: PoolName,
    /// With `disks`: a pool of one vdev of this layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// With `layout`: the members, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disks: Option<Vec<DiskId>>,
    /// Instead of `layout` and `disks`: the top-level vdevs, all of one
    /// layout and one width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vdevs: Option<Vec<VdevRequest>>,
    /// Member ids to take although their verdict is not `usable`
    /// (never `boot-medium`); what they hold is overwritten.
    #[serde(default)]
    pub force: Vec<DiskId>,
}

/// One top-level vdev of `POST /pools`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VdevRequest {
    pub layout: Layout,
    pub disks: Vec<DiskId>,
}

impl CreatePool {
    /// The layout and vdevs of either form, or a 422 naming the field.
    pub fn shape(&self) -> Result<(Layout, Vec<Vec<DiskId>>), ApiError> {
        match (&self.layout, &self.disks, &self.vdevs) {
            (Some(layout), Some(disks), None) => Ok((*layout, vec![disks.clone()])),
            (None, None, Some(vdevs)) => {
                let first = vdevs.first().ok_or_else(|| {
                    ApiError::invalid("vdevs", "`vdevs` lists no vdev; give at least one")
                })?;
                if let Some((i, other)) = vdevs
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.layout != first.layout)
                {
                    return Err(ApiError::invalid(
                        "vdevs",
                        format!(
                            "pool {}: vdevs[0] is {} but vdevs[{i}] is {}: all vdevs of a \
                             pool have one layout (ZFS warns of a mismatched replication \
                             level, and the pool is only as safe as its weakest vdev)",
                            self.name, first.layout, other.layout
                        ),
                    ));
                }
                Ok((
                    first.layout,
                    vdevs.iter().map(|v| v.disks.clone()).collect(),
                ))
            }
            (_, _, Some(_)) => Err(ApiError::invalid(
                "vdevs",
                "give either `layout` and `disks` (one vdev) or `vdevs`, not both",
            )),
            (None, _, None) => Err(ApiError::invalid(
                "layout",
                "`layout` is missing: give `layout` and `disks`, or `vdevs`",
            )),
            (Some(_), None, None) => Err(ApiError::invalid(
                "disks",
                "`disks` is missing: give `layout` and `disks`, or `vdevs`",
            )),
        }
    }
}

/// A member taken past its verdict because `force` named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct ForcedDisk {
    pub id: DiskId,
    pub verdict: Verdict,
}

/// The answer to `POST /pools`: the plan that ran, and which disks were
/// forced.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolCreated {
    #[serde(flatten)]
    pub plan: PoolPlan,
    pub forced: Vec<ForcedDisk>,
}

/// One row of `GET /pools`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolSummary {
    pub name: String,
    pub declared: bool,
    pub imported: bool,
    /// From the declaration.
    pub layout: Option<Layout>,
    /// From the declaration: every member, vdev after vdev.
    pub disks: Vec<DiskId>,
    /// From the declaration: the members of each top-level vdev.
    pub vdevs: Vec<Vec<DiskId>>,
    /// The rest from `zpool list`, while imported.
    pub health: Option<Health>,
    pub size: Option<u64>,
    pub allocated: Option<u64>,
    pub free: Option<u64>,
    pub capacity_percent: Option<u64>,
    pub fragmentation_percent: Option<u64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolList {
    pub pools: Vec<PoolSummary>,
}

/// `GET /pools/{pool}`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolDetail {
    #[serde(flatten)]
    pub status: PoolStatus,
    /// What the desired state says about it; `null` for a pool imported
    /// but not declared.
    pub declared: Option<state::Pool>,
}

/// `POST /pools/{pool}/import`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "ImportPoolRequest")]
#[serde(deny_unknown_fields)]
pub struct ImportPool {
    /// Import even if the pool looks in use by another system (`-f`).
    #[serde(default)]
    pub force: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolImported {
    pub pool: PoolName,
    #[serde(flatten)]
    pub outcome: ImportOutcome,
    /// The pool was not declared and now is (with the vdevs zpool listed).
    pub adopted: bool,
    /// Its declaration, as it is now.
    pub declared: state::Pool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolExported {
    pub pool: PoolName,
    /// Always true: an export does not undeclare.
    pub declared: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolScrub {
    pub pool: PoolName,
    pub outcome: ScrubOutcome,
}

/// `DELETE /pools/{pool}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "DestroyPoolRequest")]
#[serde(deny_unknown_fields)]
pub struct DestroyPool {
    /// The pool's name again.
    pub confirm: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PoolDestroyed {
    pub pool: PoolName,
    /// Whether the pool was declared (and so is no longer).
    pub was_declared: bool,
    /// The datasets and volumes no longer declared with it.
    pub undeclared: Vec<String>,
}

/// A pool name from the path; a bad one is a 422 naming `pool`.
pub(super) fn pool_param(raw: &str) -> Result<PoolName, ApiError> {
    raw.parse()
        .map_err(|e: crate::names::NameError| ApiError::invalid("pool", e.to_string()))
}

async fn list(State(app): State<AppState>) -> Result<Json<PoolList>, ApiError> {
    let seen = app.blocking(|app| pools::list(&app.machine)).await??;
    let mut names: BTreeSet<String> = seen.imported.iter().map(|r| r.name.clone()).collect();
    names.extend(seen.declared.iter().map(|p| p.name.to_string()));
    let pools = names
        .into_iter()
        .map(|name| {
            let row: Option<&PoolListRow> = seen.imported.iter().find(|r| r.name == name);
            let decl = seen.declared.iter().find(|p| p.name.as_str() == name);
            PoolSummary {
                declared: decl.is_some(),
                imported: row.is_some(),
                layout: decl.map(|p| p.layout),
                disks: decl.map(|p| p.disks()).unwrap_or_default(),
                vdevs: decl.map(|p| p.vdev_disks()).unwrap_or_default(),
                health: row.map(|r| r.health.clone()),
                size: row.map(|r| r.size),
                allocated: row.map(|r| r.allocated),
                free: row.map(|r| r.free),
                capacity_percent: row.map(|r| r.capacity_percent),
                fragmentation_percent: row.and_then(|r| r.fragmentation_percent),
                name,
            }
        })
        .collect();
    Ok(Json(PoolList { pools }))
}

async fn create(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<CreatePool>,
) -> Result<(StatusCode, Json<PoolCreated>), ApiError> {
    let (layout, vdevs) = request.shape()?;
    let pool = NewPool {
        name: request.name,
        layout,
        vdevs,
        force: request.force,
    };
    let created = app
        .mutate(move |app| pools::create(&app.machine, pool))
        .await??;
    let forced = created
        .forced
        .into_iter()
        .map(|f| ForcedDisk {
            id: f.id,
            verdict: f.verdict,
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(PoolCreated {
            plan: created.plan,
            forced,
        }),
    ))
}

async fn status(
    State(app): State<AppState>,
    Path(pool): Path<String>,
) -> Result<Json<PoolDetail>, ApiError> {
    let pool = pool_param(&pool)?;
    let (status, declared) = app
        .blocking(move |app| pools::status(&app.machine, &pool))
        .await??;
    Ok(Json(PoolDetail { status, declared }))
}

async fn import(
    State(app): State<AppState>,
    Path(pool): Path<String>,
    ApiJson(request): ApiJson<ImportPool>,
) -> Result<Json<PoolImported>, ApiError> {
    let pool = pool_param(&pool)?;
    let imported = app
        .mutate(move |app| {
            pools::import(&app.machine, &pool, request.force).map(|a| PoolImported {
                pool,
                outcome: a.outcome,
                adopted: a.adopted,
                declared: a.declared,
            })
        })
        .await??;
    Ok(Json(imported))
}

async fn export(
    State(app): State<AppState>,
    Path(pool): Path<String>,
) -> Result<Json<PoolExported>, ApiError> {
    let pool = pool_param(&pool)?;
    let exported = app
        .mutate(move |app| {
            pools::export(&app.machine, &pool).map(|()| PoolExported {
                pool,
                declared: true,
            })
        })
        .await??;
    Ok(Json(exported))
}

async fn scrub(
    State(app): State<AppState>,
    Path(pool): Path<String>,
) -> Result<Json<PoolScrub>, ApiError> {
    let pool = pool_param(&pool)?;
    let scrub = app
        .mutate(move |app| {
            pools::scrub(&app.machine, &pool).map(|outcome| PoolScrub { pool, outcome })
        })
        .await??;
    Ok(Json(scrub))
}

async fn destroy(
    State(app): State<AppState>,
    Path(pool): Path<String>,
    ApiJson(request): ApiJson<DestroyPool>,
) -> Result<Json<PoolDestroyed>, ApiError> {
    let pool = pool_param(&pool)?;
    let destroyed = app
        .mutate(move |app| {
            pools::destroy(&app.machine, &pool, &request.confirm).map(|d| PoolDestroyed {
                pool,
                was_declared: d.was_declared,
                undeclared: d.undeclared,
            })
        })
        .await??;
    Ok(Json(destroyed))
}
