//! Snapshots of declared datasets and volumes: list, create, roll back,
//! destroy. Snapshots are data, not desired state: these endpoints only
//! run `zfs`. Each one checks first that the dataset or volume is
//! declared, and (for rollback and destroy) that the snapshot exists, so a
//! request that cannot succeed is refused before anything changes.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openapi::{
    error_response, json_request, json_response, path_parameter, query_parameter, request, response,
};
use super::query::Query;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::snapshots;
use crate::names::{DatasetName, NameError, PoolName, SnapshotName};
use crate::zfs::SnapshotRow;

pub fn group() -> Group {
    Group {
        name: "snapshots",
        description: "Read-only, point-in-time copies of declared datasets and volumes. \
            They are data, not desired state.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/snapshots",
                Access::Admin,
                list,
                json!({
                    "summary": "Snapshots, oldest first",
                    "operationId": "listSnapshots",
                    "parameters": [
                        query_parameter("dataset", "Only the snapshots of this dataset or volume (not of its children).",
                                        json!({"type": "string", "example": "tank/vm1"})),
                        query_parameter("pool", "Only the snapshots in this pool. With neither, every imported pool's.",
                                        json!({"type": "string", "example": "tank"})),
                    ],
                    "responses": {
                        "200": json_response::<SnapshotList>("The snapshots."),
                        "404": error_response("No such dataset or pool."),
                        "422": error_response("A bad or unknown query parameter; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/snapshots",
                Access::Admin,
                create,
                json!({
                    "summary": "Take a snapshot",
                    "operationId": "createSnapshot",
                    "requestBody": json_request::<CreateSnapshot>(),
                    "responses": {
                        "201": json_response::<SnapshotDone>("The snapshot exists."),
                        "404": error_response("The dataset or volume is not declared."),
                        "409": error_response("A snapshot of that name exists, or the pool is out of space."),
                        "422": error_response("Not a `dataset@name` snapshot name."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/snapshots/rollback",
                Access::Admin,
                rollback,
                json!({
                    "summary": "Roll a dataset or volume back to a snapshot",
                    "description": "Everything written since the snapshot is lost. Only to \
                        the latest snapshot, unless `destroy_newer` is true, which destroys \
                        the newer ones (listed in the answer).",
                    "operationId": "rollbackSnapshot",
                    "requestBody": json_request::<Rollback>(),
                    "responses": {
                        "200": json_response::<RolledBack>("Rolled back."),
                        "404": error_response("No such snapshot, or its dataset is not declared."),
                        "409": error_response("Newer snapshots exist (named); ask to destroy them."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/snapshots/{*name}",
                Access::Admin,
                destroy,
                json!({
                    "summary": "Destroy a snapshot",
                    "operationId": "destroySnapshot",
                    "parameters": [path_parameter("name", "The snapshot, `dataset@name`.", "tank/vm1@before-upgrade")],
                    "responses": {
                        "200": json_response::<SnapshotDone>("The snapshot is gone."),
                        "404": error_response("No such snapshot, or its dataset is not declared."),
                        "409": error_response("Clones depend on it."),
                        "422": error_response("Not a `dataset@name` snapshot name."),
                    },
                }),
            ),
        ],
        types: vec![
            request::<CreateSnapshot>(),
            request::<Rollback>(),
            response::<SnapshotList>(),
            response::<SnapshotDone>(),
            response::<RolledBack>(),
        ],
    }
}

/// `POST /snapshots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CreateSnapshotRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateSnapshot {
    pub name: SnapshotName,
}

/// `POST /snapshots/rollback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "RollbackRequest")]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    pub name: SnapshotName,
    /// Destroy the snapshots newer than this one (`zfs rollback -r`).
    #[serde(default)]
    pub destroy_newer: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
#[schemars(rename = "Snapshot")]
pub struct SnapshotDone {
    pub name: SnapshotName,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct RolledBack {
    pub name: SnapshotName,
    /// The newer snapshots destroyed on the way.
    pub destroyed: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct SnapshotList {
    pub snapshots: Vec<SnapshotRow>,
}

async fn list(State(app): State<AppState>, uri: Uri) -> Result<Json<SnapshotList>, ApiError> {
    let query = Query::parse(&uri, &["dataset", "pool"])?;
    let dataset = query.get::<DatasetName>("dataset")?;
    let pool = query.get::<PoolName>("pool")?;
    let snapshots = app
        .blocking(move |app| snapshots::list(&app.machine, dataset, pool))
        .await??;
    Ok(Json(SnapshotList { snapshots }))
}

async fn create(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<CreateSnapshot>,
) -> Result<(StatusCode, Json<SnapshotDone>), ApiError> {
    let name = request.name;
    let done = app
        .mutate(move |app| snapshots::create(&app.machine, &name).map(|()| SnapshotDone { name }))
        .await??;
    Ok((StatusCode::CREATED, Json(done)))
}

async fn rollback(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<Rollback>,
) -> Result<Json<RolledBack>, ApiError> {
    let Rollback {
        name,
        destroy_newer,
    } = request;
    let done = app
        .mutate(move |app| {
            snapshots::rollback(&app.machine, &name, destroy_newer)
                .map(|destroyed| RolledBack { name, destroyed })
        })
        .await??;
    Ok(Json(done))
}

async fn destroy(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<SnapshotDone>, ApiError> {
    let name: SnapshotName = name
        .trim_start_matches('/')
        .parse()
        .map_err(|e: NameError| ApiError::invalid("name", e.to_string()))?;
    let done = app
        .mutate(move |app| snapshots::destroy(&app.machine, &name).map(|()| SnapshotDone { name }))
        .await??;
    Ok(Json(done))
}
