//! Zvols (the backing store of iSCSI LUNs): list, create, resize,
//! destroy. Each change is checked against the desired state before `zfs`
//! runs and saved only once it succeeded.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::datasets::{
    listed, name_param, pool_query_parameter, recursive_parameter, Destroyed, Listed,
};
use super::declared::{with_volume_size, Declared};
use super::openapi::{error_response, json_request, json_response, path_parameter, schema_ref};
use super::query::Query;
use super::state::Shared;
use super::{Access, ApiError, ApiJson, AppState, Endpoint, Group};
use crate::names::{DatasetName, PoolName};
use crate::state::{MutationError, Volume, DEFAULT_COMPRESSION};
use crate::zfs::{self, Change, Compression, DatasetKind, Plan, SyncMode, ZfsError, ZvolSpec};

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
                        "200": json_response("The volumes, by name.", "VolumeList"),
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
                    "requestBody": json_request("CreateVolumeRequest"),
                    "responses": {
                        "201": json_response("The volume exists and is declared.", "CreatePlan"),
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
                    "requestBody": json_request("UpdateVolumeRequest"),
                    "responses": {
                        "200": json_response("The size now.", "VolumeUpdated"),
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
                        "200": json_response("What was destroyed.", "Destroyed"),
                        "404": error_response("No such volume is declared."),
                        "409": error_response("It has snapshots; ask for a recursive destroy."),
                    },
                }),
            ),
        ],
        schemas: schemas(),
    }
}

/// `POST /volumes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateVolume {
    pub name: DatasetName,
    /// Bytes.
    pub size: u64,
    #[serde(default)]
    pub volblocksize: Option<u64>,
    #[serde(default)]
    pub sparse: bool,
    #[serde(default)]
    pub sync: Option<SyncMode>,
    #[serde(default)]
    pub compression: Option<Compression>,
}

/// `PATCH /volumes/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateVolume {
    /// Bytes.
    pub size: u64,
    /// Allow the new size to be smaller (the end of the disk is lost).
    #[serde(default)]
    pub shrink: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeUpdated {
    pub name: DatasetName,
    pub size: u64,
    pub change: Change,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeList {
    pub volumes: Vec<Listed>,
}

async fn list(State(app): State<AppState>, uri: Uri) -> Result<Json<VolumeList>, ApiError> {
    let query = Query::parse(&uri, &["pool"])?;
    let pool = query.get::<PoolName>("pool")?;
    let volumes = app
        .blocking(move |app| listed(app, pool, DatasetKind::Volume))
        .await??;
    Ok(Json(VolumeList { volumes }))
}

async fn create(
    State(app): State<AppState>,
    ApiJson(request): ApiJson<CreateVolume>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let _one_at_a_time = app.mutations.lock().await;
    let plan = app
        .blocking(move |app| create_volume(app, request))
        .await??;
    Ok((StatusCode::CREATED, Json(plan)))
}

fn create_volume(app: &Shared, request: CreateVolume) -> Result<Plan, ApiError> {
    let declared = Declared::load(app)?;
    let mut volume = Volume::new(request.name.clone(), request.size);
    if let Some(size) = request.volblocksize {
        volume.volblocksize = size;
    }
    volume.sparse = request.sparse;
    volume.sync = request.sync.unwrap_or_default();
    volume.compression = request.compression.unwrap_or(DEFAULT_COMPRESSION);
    let spec = ZvolSpec {
        volblocksize: volume.volblocksize,
        sparse: volume.sparse,
        compression: Some(volume.compression),
        sync: volume.sync,
        ..ZvolSpec::new(request.name.clone(), request.size)
    };
    let next = declared.state.add_volume(volume)?;
    zfs::plan_create_zvol(&spec)?;
    let plan = zfs::create_zvol(app.machine.runner.as_ref(), &spec)?;
    declared.commit(&next, &format!("volume {} was created", request.name))?;
    Ok(plan)
}

async fn update(
    State(app): State<AppState>,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<UpdateVolume>,
) -> Result<Json<VolumeUpdated>, ApiError> {
    let name = name_param(&name)?;
    let _one_at_a_time = app.mutations.lock().await;
    let updated = app
        .blocking(move |app| resize(app, name, request))
        .await??;
    Ok(Json(updated))
}

fn resize(
    app: &Shared,
    name: DatasetName,
    request: UpdateVolume,
) -> Result<VolumeUpdated, ApiError> {
    let declared = Declared::load(app)?;
    let current = declared
        .state
        .volume(&name)
        .ok_or_else(|| MutationError::VolumeNotDeclared(name.clone()))?;
    if request.size < current.size_bytes && !request.shrink {
        return Err(ZfsError::ShrinkRefused {
            zvol: name.to_string(),
            from: current.size_bytes,
            to: request.size,
        }
        .into());
    }
    let next = with_volume_size(&declared.state, &name, request.size)?;
    let change = zfs::resize_zvol(
        app.machine.runner.as_ref(),
        &name,
        request.size,
        request.shrink,
    )?;
    declared.commit(&next, &format!("volume {name} was resized"))?;
    Ok(VolumeUpdated {
        name,
        size: request.size,
        change,
    })
}

async fn destroy(
    State(app): State<AppState>,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Json<Destroyed>, ApiError> {
    let name = name_param(&name)?;
    let recursive = Query::parse(&uri, &["recursive"])?.flag("recursive")?;
    let _one_at_a_time = app.mutations.lock().await;
    let destroyed = app
        .blocking(move |app| {
            let declared = Declared::load(app)?;
            let next = declared.state.remove_volume(&name)?;
            let destroyed = zfs::destroy_dataset(app.machine.runner.as_ref(), &name, recursive)?;
            declared.commit(&next, &format!("volume {name} was destroyed"))?;
            Ok::<_, ApiError>(Destroyed { name, destroyed })
        })
        .await??;
    Ok(Json(destroyed))
}

fn schemas() -> Vec<(&'static str, Value)> {
    vec![
        (
            "CreateVolumeRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "size"],
                "properties": {
                    "name": {"type": "string", "example": "tank/vm1"},
                    "size": {"type": "integer", "minimum": 1, "example": 268435456,
                             "description": "Bytes; a multiple of volblocksize."},
                    "volblocksize": {"type": "integer", "default": 16384,
                                     "description": "A power of two from 512 to 131072."},
                    "sparse": {"type": "boolean", "default": false,
                               "description": "Thin: no reservation, so the pool can be over-committed."},
                    "sync": schema_ref("SyncMode"),
                    "compression": schema_ref("Compression"),
                },
            }),
        ),
        (
            "UpdateVolumeRequest",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1, "description": "Bytes; a multiple of volblocksize."},
                    "shrink": {"type": "boolean", "default": false,
                               "description": "Allow a smaller size: the data at the end of the disk is lost."},
                },
            }),
        ),
        (
            "VolumeUpdated",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "size", "change"],
                "properties": {
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "change": {"type": "string", "enum": ["unchanged", "updated"]},
                },
            }),
        ),
        (
            "VolumeList",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["volumes"],
                "properties": {"volumes": {"type": "array", "items": schema_ref("DatasetRow")}},
            }),
        ),
    ]
}
