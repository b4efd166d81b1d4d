//! Zvols (the backing store of iSCSI LUNs): list, create, resize,
//! destroy. Each change is checked against the desired state before `zfs`
//! runs and saved only once it succeeded.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::datasets::{
    destroyed, listed, name_param, pool_query_parameter, recursive_parameter, Destroyed, Listed,
};
use super::openapi::{
    error_response, json_request, json_response, path_parameter, request, response,
};
use super::query::Query;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::engine::storage;
use crate::names::{DatasetName, PoolName};
use crate::state::{Volume, DEFAULT_COMPRESSION};
use crate::zfs::{Change, Compression, DatasetKind, Plan, SyncMode};

fn name_parameter() -> Value {
    path_parameter(
        "name",
        "The volume's full name, `/` included (`tank/vm1` in `/volumes/tank/vm1`).",
        "tank/vm1",
    )
}

pub fn group() -> Group {
    Group {
        name: "volumes",
        description: "Zvols below a pool, the disks iSCSI LUNs are made of. Every zvol gets \
            `volmode=dev`, so the appliance never looks inside guest disks.",
        endpoints: vec![
            Endpoint::new(
                Method::GET,
                "/volumes",
                Access::Admin,
                list,
                json!({
                    "summary": "Zvols on the machine",
                    "operationId": "listVolumes",
                    "parameters": [pool_query_parameter("volumes")],
                    "responses": {
                        "200": json_response::<VolumeList>("The volumes, by name."),
                        "404": error_response("No such pool is imported."),
                        "422": error_response("A bad or unknown query parameter; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::POST,
                "/volumes",
                Access::Admin,
                create,
                json!({
                    "summary": "Create a zvol and declare it",
                    "description": "`size` is in bytes, a multiple of `volblocksize` (16 KiB \
                        unless given; a power of two from 512 to 131072, fixed once created). \
                        `sparse` leaves the space unreserved (thin): the answer warns that an \
                        over-committed pool that fills up corrupts the VMs on it.",
                    "operationId": "createVolume",
                    "requestBody": json_request::<CreateVolume>(),
                    "responses": {
                        "201": json_response::<Plan>("The volume exists and is declared."),
                        "404": error_response("The pool is not imported."),
                        "409": error_response("The name is taken, or the pool is out of space."),
                        "422": error_response("A bad name, size or value, or an undeclared parent; `field` names it."),
                    },
                }),
            ),
            Endpoint::new(
                Method::PATCH,
                "/volumes/{*name}",
                Access::Admin,
                update,
                json!({
                    "summary": "Resize a zvol",
                    "description": "Growing is always allowed. Shrinking discards the data at \
                        the end of the disk, so it needs `shrink: true`.",
                    "operationId": "updateVolume",
                    "parameters": [name_parameter()],
                    "requestBody": json_request::<UpdateVolume>(),
                    "responses": {
                        "200": json_response::<VolumeUpdated>("The size now."),
                        "404": error_response("No such volume is declared."),
                        "409": error_response("A shrink not asked for, or the pool is out of space."),
                        "422": error_response("The size is 0 or not a multiple of volblocksize."),
                    },
                }),
            ),
            Endpoint::new(
                Method::DELETE,
                "/volumes/{*name}",
                Access::Admin,
                destroy,
                json!({
                    "summary": "Destroy a zvol and stop declaring it",
                    "description": "A zvol with snapshots is refused unless `recursive=true`. \
                        Its data is gone.",
                    "operationId": "destroyVolume",
                    "parameters": [name_parameter(), recursive_parameter("volume")],
                    "responses": {
                        "200": json_response::<Destroyed>("What was destroyed."),
                        "404": error_response("No such volume is declared."),
                        "409": error_response("It has snapshots; ask for a recursive destroy."),
                    },
                }),
            ),
        ],
        types: vec![
            request::<CreateVolume>(),
            request::<UpdateVolume>(),
            response::<VolumeUpdated>(),
            response::<VolumeList>(),
        ],
    }
}

/// `POST /volumes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "CreateVolumeRequest")]
#[serde(deny_unknown_fields)]
pub struct CreateVolume {
    pub name: DatasetName,
    /// Bytes; a multiple of volblocksize.
    #[schemars(range(min = 1), example = 268435456)]
    pub size: u64,
    /// A power of two from 512 to 131072 (16384 when not given).
    #[serde(default)]
    pub volblocksize: Option<u64>,
    /// Thin: no reservation, so the pool can be over-committed.
    #[serde(default)]
    pub sparse: bool,
    #[serde(default)]
    pub sync: Option<SyncMode>,
    #[serde(default)]
    pub compression: Option<Compression>,
}

/// `PATCH /volumes/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "UpdateVolumeRequest")]
#[serde(deny_unknown_fields)]
pub struct UpdateVolume {
    /// Bytes; a multiple of volblocksize.
    #[schemars(range(min = 1))]
    pub size: u64,
    /// Allow a smaller size: the data at the end of the disk is lost.
    #[serde(default)]
    pub shrink: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct VolumeUpdated {
    pub name: DatasetName,
    pub size: u64,
    pub change: Change,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct VolumeList {
    pub volumes: Vec<Listed>,
}

async fn list(State(app): State<AppState>, uri: Uri) -> Result<Json<VolumeList>, ApiError> {
    let query = Query::parse(&uri, &["pool"])?;
    let pool = query.get::<PoolName>("pool")?;
    let volumes = listed(app, pool, DatasetKind::Volume).await?;
    Ok(Json(VolumeList { volumes }))
}

async fn create(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<CreateVolume>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let mut volume = Volume::new(request.name, request.size);
    if let Some(size) = request.volblocksize {
        volume.volblocksize = size;
    }
    volume.sparse = request.sparse;
    volume.sync = request.sync.unwrap_or_default();
    volume.compression = request.compression.unwrap_or(DEFAULT_COMPRESSION);
    let plan = app
        .mutate(move |app| storage::create_volume(&app.machine, volume))
        .await??;
    Ok((StatusCode::CREATED, Json(plan)))
}

async fn update(
    State(app): State<AppState>,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<UpdateVolume>,
) -> Result<Json<VolumeUpdated>, ApiError> {
    let name = name_param(&name)?;
    let UpdateVolume { size, shrink } = request;
    let updated = app
        .mutate(move |app| {
            storage::resize_volume(&app.machine, &name, size, shrink).map(|change| VolumeUpdated {
                name,
                size,
                change,
            })
        })
        .await??;
    Ok(Json(updated))
}

async fn destroy(
    State(app): State<AppState>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Json<Destroyed>, ApiError> {
    destroyed(app, DatasetKind::Volume, &name, &uri).await
}
